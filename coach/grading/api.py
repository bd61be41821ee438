"""The one call the rest of the app uses to grade a reply."""

from __future__ import annotations

from coach.grading.base import get_grader
from coach.grading.models import Grade, GradeContext


def grade_reply(customer: str, reply: str, objection: str | None = None, lang: str | None = None,
                weights: dict[str, float] | None = None, context: GradeContext | None = None,
                grader: str = "offline") -> Grade:
    """Grade ``reply`` to ``customer`` against the objection's playbook (detected when not given)."""
    return get_grader(grader).grade(customer, reply, objection, lang, weights, context)
