"""Optional LLM judge: a rubric prompt through the OpenAI-compatible chat path, JSON validated with pydantic.

Its score is shown beside the deterministic one, never replacing it; every failure becomes a JudgeResult
with ``error`` set, so a broken endpoint never breaks grading.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from coach.grading.models import Grade, JudgeResult
from knowledge.taxonomy import STEPS

PROMPT_FILE = Path(__file__).parent / "prompts" / "judge.yaml"
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


class _JudgeReply(BaseModel):
    score: int = Field(ge=0, le=100)
    steps: dict[str, bool]
    rationale: str = ""


@lru_cache(maxsize=1)
def load_prompt() -> dict[str, str]:
    data = yaml.safe_load(PROMPT_FILE.read_text(encoding="utf-8"))
    missing = {"system", "user"} - set(data or {})
    if missing:
        raise ValueError(f"{PROMPT_FILE}: missing field(s) {sorted(missing)}")
    return data


def _escape(text: str) -> str:
    return text.replace("<<<", "‹‹‹").replace(">>>", "›››")  # the reply cannot close its own data block


def judge_reply(customer: str, reply: str, objection: str, lang: str = "zh", chat_model=None) -> JudgeResult:
    """Ask the configured chat model for a rubric score; errors come back as ``JudgeResult.error``."""
    prompt = load_prompt()
    system = prompt["system"].replace("{lang_name}", "Chinese" if lang == "zh" else "English")
    user = (prompt["user"].replace("{objection}", objection).replace("{customer}", _escape(customer))
            .replace("{reply}", _escape(reply)))
    try:
        if chat_model is None:
            from coach.llm.client import get_chat_model

            chat_model = get_chat_model(temperature=0)
        message = chat_model.invoke([("system", system), ("human", user)])
    except Exception as exc:  # network, HTTP status, missing key: all shown to the user, never raised
        return JudgeResult(error=f"LLM judge call failed ({exc.__class__.__name__}: {str(exc)[:200]}); "
                                 "the offline score stands")
    name = getattr(chat_model, "model_name", "") or ""
    text = _FENCE.sub("", str(getattr(message, "content", message))).strip()
    try:
        parsed = _JudgeReply.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        return JudgeResult(model=name, error=f"LLM judge returned invalid JSON ({exc.__class__.__name__}); "
                                             f"got: {text[:120]!r}; the offline score stands")
    steps = {s: bool(parsed.steps.get(s, False)) for s in STEPS}
    return JudgeResult(score=parsed.score, steps=steps, rationale=parsed.rationale, model=name)


def with_judge(grade: Grade, customer: str, reply: str, chat_model=None) -> Grade:
    """The offline grade with the judge's view attached beside it (the offline score is untouched)."""
    return grade.model_copy(update={"judge": judge_reply(customer, reply, grade.objection, grade.lang, chat_model)})
