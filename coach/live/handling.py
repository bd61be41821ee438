"""Did the rep's next reply handle the objection? One judge interface, two implementations.

The playbook grader (``coach.grading.grade_reply``) is the judge when it is installed; it belongs to the
grading issue, which can land after this one, so until then the playbook step cues judge alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel

from knowledge.playbooks import Playbook

HANDLED_SCORE = 50.0  # grader score (0-100) from which a reply counts as handling the objection
MIN_STEPS = 2  # cue judge: a reply that shows two playbook steps handles the objection


class Verdict(BaseModel):
    handled: bool
    score: float  # 0-100
    steps: list[str] = []


ReplyJudge = Callable[[str, str, str, str], Verdict]  # (customer line, rep reply, objection, lang) -> Verdict


class CueJudge:
    """Counts the playbook steps whose cues appear in the reply (clarify only inside a question)."""

    def __init__(self, playbooks: dict[str, Playbook]) -> None:
        self._steps: dict[str, list[tuple[str, list[re.Pattern], bool]]] = {
            name: [(s.id, [re.compile(p, re.IGNORECASE) for p in [*s.cues.zh, *s.cues.en]], s.question_only)
                   for s in book.steps]
            for name, book in playbooks.items()
        }

    def __call__(self, customer: str, reply: str, objection: str, lang: str) -> Verdict:
        steps = self._steps.get(objection, [])
        questions = " ".join(re.findall(r"[^。？！.?!]*[?？]", reply))
        shown = [sid for sid, cues, question_only in steps
                 if any(p.search(questions if question_only else reply) for p in cues)]
        score = round(100.0 * len(shown) / max(1, min(len(steps), 4)), 1)
        return Verdict(handled=len(shown) >= MIN_STEPS, score=min(100.0, score), steps=shown)


def grader_judge() -> ReplyJudge | None:
    """A judge backed by the playbook grader, or None while ``coach.grading`` is not installed."""
    try:
        from coach.grading import grade_reply
    except ImportError:  # the grading package is a separate issue; the cue judge stands in until it lands
        return None

    def judge(customer: str, reply: str, objection: str, lang: str) -> Verdict:
        grade = grade_reply(customer, reply, objection=objection, lang=lang)
        steps = getattr(grade, "steps", {}) or {}
        score = float(getattr(grade, "score", 0.0))
        return Verdict(handled=score >= HANDLED_SCORE, score=score, steps=[k for k, v in steps.items() if v])

    return judge


def default_judge(playbooks: dict[str, Playbook]) -> ReplyJudge:
    return grader_judge() or CueJudge(playbooks)
