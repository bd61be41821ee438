"""Grading: detect the objection, grade each reply against its playbook with evidence, build session scorecards.

The offline rule+embedding grader is deterministic and always runs; an optional LLM judge is shown beside it.
"""

from coach.grading.api import grade_reply
from coach.grading.base import Grader, get_grader, grader_names, register_grader
from coach.grading.models import (
    DEFAULT_WEIGHTS,
    Evidence,
    Grade,
    GradeContext,
    JudgeResult,
    NavOption,
    Scorecard,
    ScoredTurn,
)
from coach.grading.scorecard import build_scorecard

__all__ = [
    "DEFAULT_WEIGHTS", "Evidence", "Grade", "GradeContext", "Grader", "JudgeResult", "NavOption",
    "Scorecard", "ScoredTurn", "build_scorecard", "get_grader", "grade_reply", "grader_names", "register_grader",
]
