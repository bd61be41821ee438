"""Ask the configured server once, before any turn, whether it knows our key and our model (GET /models).

A wrong key or model name is a configuration problem, not a flaky turn: said once, plainly, on the page,
in `coach serve` output and in `coach doctor`, instead of a fallback notice on every turn.
"""

from __future__ import annotations

import threading
import time

from pydantic import BaseModel, Field

from coach.llm.errors import base_url
from coach.llm.messages import say
from knowledge.settings import Settings, get_settings

RECHECK_AFTER = 60.0  # a failed check is repeated after this many seconds (the server may have started since)


class EndpointCheck(BaseModel):
    """``problem`` is None when the endpoint serves the model; else one of wrong_key, wrong_model,
    unreachable, no_key, bad_status, offline (no LLM configured, which is not an error)."""

    ok: bool
    problem: str | None = None
    base_url: str
    model: str
    status: int | None = None
    detail: str = ""
    available: list[str] = Field(default_factory=list)

    def message(self, lang: str = "en") -> str:
        key = "ok" if self.ok and self.problem is None else self.problem or "ok"
        return say(key, lang, base_url=self.base_url, model=self.model, status=self.status, detail=self.detail,
                   available=", ".join(self.available[:8]) or "-")


def _served(model: str, ids: list[str]) -> bool:
    """Ollama lists ``llama3:latest`` but serves it as ``llama3`` too."""
    return model in ids or f"{model}:latest" in ids or any(i.split("/")[-1] == model for i in ids)


def check_llm_endpoint(settings: Settings | None = None, timeout: float = 5.0) -> EndpointCheck:
    """GET {OPENAI_BASE_URL}/models with the key and say what is wrong, if anything. Never raises."""
    import httpx

    settings = settings or get_settings()
    url, model = base_url(settings), settings.llm_model
    if not settings.llm_enabled:
        return EndpointCheck(ok=True, problem="offline", base_url=url, model=model)
    if not settings.openai_api_key:
        return EndpointCheck(ok=False, problem="no_key", base_url=url, model=model)
    try:
        response = httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {settings.openai_api_key}"},
                             timeout=min(timeout, settings.llm_timeout))
    except httpx.HTTPError as exc:
        return EndpointCheck(ok=False, problem="unreachable", base_url=url, model=model,
                             detail=f"{exc.__class__.__name__}: {exc}"[:200])
    detail = _error_text(response)
    if response.status_code in {401, 403}:
        return EndpointCheck(ok=False, problem="wrong_key", base_url=url, model=model,
                             status=response.status_code, detail=detail)
    if response.status_code == 404:  # some servers have no /models: nothing to learn, not a fault
        return EndpointCheck(ok=True, base_url=url, model=model, status=404, detail=detail)
    if response.status_code != 200:
        return EndpointCheck(ok=False, problem="bad_status", base_url=url, model=model,
                             status=response.status_code, detail=detail)
    try:
        ids = [str(m.get("id")) for m in response.json().get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return EndpointCheck(ok=False, problem="bad_status", base_url=url, model=model, status=200,
                             detail=f"not a model list: {response.text[:120]!r}")
    if ids and not _served(model, ids):
        return EndpointCheck(ok=False, problem="wrong_model", base_url=url, model=model, status=200,
                             available=ids)
    return EndpointCheck(ok=True, base_url=url, model=model, status=200, available=ids)


def _error_text(response) -> str:
    try:
        body = response.json()
        error = body.get("error", body) if isinstance(body, dict) else body
        text = error.get("message") if isinstance(error, dict) else str(error)
    except ValueError:
        text = response.text
    return " ".join(str(text or "").split())[:200]


_cache: dict[tuple, tuple[float, EndpointCheck]] = {}
_lock = threading.Lock()


def cached_check(settings: Settings | None = None, clock=time.monotonic) -> EndpointCheck:
    """The check, once per configuration and process; a failure is re-checked after RECHECK_AFTER seconds."""
    settings = settings or get_settings()
    key = (base_url(settings), settings.llm_model, settings.openai_api_key)
    with _lock:
        hit = _cache.get(key)
        if hit and (hit[1].ok or clock() - hit[0] < RECHECK_AFTER):
            return hit[1]
    result = check_llm_endpoint(settings)
    with _lock:
        _cache[key] = (clock(), result)
    return result


def forget_checks() -> None:
    """Tests and `coach doctor` start from a fresh check."""
    with _lock:
        _cache.clear()
