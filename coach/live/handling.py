"""Did the rep's next reply handle the objection? The judge is the playbook grader (``coach.grading``).

The grader reads the reply through the understanding layer, so no cue list judges replies in production; the
cue-counting stand-in for tests is ``coach.live.fakes.CueJudge``.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from knowledge.playbooks import Playbook

HANDLED_SCORE = 50.0  # grader score (0-100) from which a reply counts as handling the objection


class Verdict(BaseModel):
    handled: bool
    score: float  # 0-100
    steps: list[str] = []


ReplyJudge = Callable[[str, str, str, str], Verdict]  # (customer line, rep reply, objection, lang) -> Verdict


def grader_judge() -> ReplyJudge:
    """A judge backed by the playbook grader (``coach.grading.grade_reply``)."""

    def judge(customer: str, reply: str, objection: str, lang: str) -> Verdict:
        # imported on first use: the grader loads the understanding model
        from coach.grading import grade_reply

        grade = grade_reply(customer, reply, objection=objection, lang=lang)
        steps = getattr(grade, "steps", {}) or {}
        score = float(getattr(grade, "score", 0.0))
        return Verdict(handled=score >= HANDLED_SCORE, score=score, steps=[k for k, v in steps.items() if v])

    return judge


def default_judge(playbooks: dict[str, Playbook] | None = None) -> ReplyJudge:
    """The production judge; ``playbooks`` is accepted for callers that pass theirs (the grader loads its own)."""
    return grader_judge()
