"""Read a failed LLM call: the server's own message, whether to retry, and how long the server asked to wait.

The openai client wraps HTTP errors in ``APIStatusError`` whose ``body`` holds the server's JSON; transport
failures arrive as ``APIConnectionError`` (or raw httpx/decoding errors from a broken stream).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from time import time

from knowledge.settings import Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


def base_url(settings: Settings) -> str:
    return (settings.openai_base_url or DEFAULT_BASE_URL).rstrip("/")


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return int(status) if isinstance(status, int) else None


def server_detail(exc: BaseException, limit: int = 200) -> str:
    """The server's own error message when it sent one, else the exception's text, with its class name."""
    body = getattr(exc, "body", None)
    message = None
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else str(error)
    if not message:
        cause = exc.__cause__ or exc.__context__
        message = str(exc) or (str(cause) if cause else "")
        if cause is not None and str(cause) and str(cause) not in message:
            message = f"{message} ({cause.__class__.__name__}: {cause})"
    status = status_of(exc)
    prefix = f"HTTP {status}" if status else exc.__class__.__name__
    message = " ".join(str(message).split())[:limit]
    return f"{prefix}: {message}" if message else prefix


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` as seconds or an HTTP date), if it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time())
        except (TypeError, ValueError):
            return None


def retryable(exc: BaseException) -> bool:
    """Rate limits, server errors and dropped connections may pass; a bad key, model or request will not."""
    status = status_of(exc)
    if status is not None:
        return status in RETRY_STATUSES or status >= 500
    try:
        import openai

        return isinstance(exc, openai.APIConnectionError) and not isinstance(exc, openai.APITimeoutError)
    except ImportError:  # pragma: no cover - openai ships with langchain-openai
        return False
