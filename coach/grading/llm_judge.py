"""Optional LLM judge: a rubric prompt through the OpenAI-compatible chat path, JSON validated with pydantic.

Its score is shown beside the deterministic one, never replacing it; every failure becomes a JudgeResult
with ``error`` set, so a broken endpoint never breaks grading.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from coach.grading.models import Grade, JudgeResult
from knowledge.taxonomy import STEPS
from knowledge.yaml_lines import safe_load as bounded_yaml

PROMPT_FILE = Path(__file__).parent / "prompts" / "judge.yaml"
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


class _JudgeReply(BaseModel):
    score: int = Field(ge=0, le=100)
    steps: dict[str, bool]
    rationale: str = ""


@lru_cache(maxsize=1)
def load_prompt() -> dict[str, str]:
    data = bounded_yaml(PROMPT_FILE.read_text(encoding="utf-8"))
    missing = {"system", "user"} - set(data or {})
    if missing:
        raise ValueError(f"{PROMPT_FILE}: missing field(s) {sorted(missing)}")
    return data


def _escape(text: str) -> str:
    return text.replace("<<<", "‹‹‹").replace(">>>", "›››")  # the reply cannot close its own data block


JSON_MODE = {"type": "json_object"}


def _ask(chat_model, messages, json_mode: bool):
    """One call; with ``response_format`` JSON mode when asked (servers without it answer HTTP 400)."""
    return chat_model.invoke(messages, response_format=JSON_MODE) if json_mode else chat_model.invoke(messages)


def _parse(message) -> tuple[_JudgeReply | None, str, str | None]:
    text = _FENCE.sub("", str(getattr(message, "content", message))).strip()
    try:
        return _JudgeReply.model_validate(json.loads(text)), text, None
    except (json.JSONDecodeError, ValidationError) as exc:
        return None, text, f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:160]}"


def _repair_note(error: str) -> str:
    schema = json.dumps(_JudgeReply.model_json_schema(), ensure_ascii=False)
    return (f"Your answer was not valid for the required JSON schema ({error}). Answer again with only one JSON "
            f"object matching this schema, nothing else: {schema}")


def judge_reply(customer: str, reply: str, objection: str, lang: str = "zh", chat_model=None) -> JudgeResult:
    """Ask the configured chat model for a rubric score; errors come back as ``JudgeResult.error``.

    JSON mode (``response_format``) is asked for first; a server that refuses it is asked again without.
    An answer that is not the schema gets one repair round (the error and the schema sent back)."""
    prompt = load_prompt()
    system = prompt["system"].replace("{lang_name}", "Chinese" if lang == "zh" else "English")
    user = (prompt["user"].replace("{objection}", objection).replace("{customer}", _escape(customer))
            .replace("{reply}", _escape(reply)))
    messages = [("system", system), ("human", user)]
    try:
        if chat_model is None:
            from coach.llm.client import get_chat_model

            chat_model = get_chat_model(temperature=0, max_tokens=400)
        try:
            message = _ask(chat_model, messages, json_mode=True)
            json_mode = True
        except Exception as exc:
            if getattr(exc, "status_code", None) not in {400, 422}:
                raise
            message, json_mode = _ask(chat_model, messages, json_mode=False), False  # no JSON mode here
        parsed, text, error = _parse(message)
        if parsed is None:  # one schema-repair round
            repair = [*messages, ("ai", text[:2000]), ("human", _repair_note(error or "invalid"))]
            parsed, text, error = _parse(_ask(chat_model, repair, json_mode=json_mode))
    except Exception as exc:  # network, HTTP status, missing key: all shown to the user, never raised
        from coach.llm.errors import server_detail

        return JudgeResult(error=f"LLM judge call failed ({server_detail(exc)}); the offline score stands")
    name = getattr(chat_model, "model_name", "") or ""
    if parsed is None:
        return JudgeResult(model=name, error=f"LLM judge returned invalid JSON twice ({error}); "
                                             f"got: {text[:120]!r}; the offline score stands")
    steps = {s: bool(parsed.steps.get(s, False)) for s in STEPS}
    return JudgeResult(score=parsed.score, steps=steps, rationale=parsed.rationale, model=name)


def with_judge(grade: Grade, customer: str, reply: str, chat_model=None) -> Grade:
    """The offline grade with the judge's view attached beside it (the offline score is untouched)."""
    return grade.model_copy(update={"judge": judge_reply(customer, reply, grade.objection, grade.lang, chat_model)})
