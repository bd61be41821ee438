"""Data shapes for grades, scorecards and judge results: every number comes with the evidence behind it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from knowledge.taxonomy import STEPS

DEFAULT_WEIGHTS: dict[str, float] = {
    "acknowledge": 10, "clarify": 20, "evidence": 20, "reframe": 15, "validate": 15, "advance": 20,
}


class Evidence(BaseModel):
    """One matched cue: which step or anti-pattern, the phrase in the reply, and where the rule came from."""

    step: str
    phrase: str
    source: str  # e.g. "playbook:price" (a cue phrase) or "model" (the sentence the model read it in)
    probability: float | None = None  # the understanding layer's P(step or anti-pattern)
    examples: list[str] = Field(default_factory=list)  # nearest labelled replies with this label, trainee's language


class NavOption(BaseModel):
    """One button of the navigation bar shown after empty agreement."""

    key: str  # evidence | reframe | validate
    label_zh: str
    label_en: str
    phrase: str


class JudgeResult(BaseModel):
    """The optional LLM judge's view, shown beside the deterministic score and never replacing it."""

    score: int | None = None
    steps: dict[str, bool] = Field(default_factory=dict)
    rationale: str = ""
    error: str | None = None
    model: str = ""


class GradeContext(BaseModel):
    """What the grader may use besides the texts: persona slots and pluggable collaborators."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    persona_name: str | None = None
    product: str | None = None
    competitor: str | None = None
    industry: str | None = None
    won_line_lookup: Callable[[str, str], str | None] | None = None
    detector: Any = None  # a knowledge.detect.Detector; built lazily when absent
    understanding: Any = None  # a knowledge.understanding.UnderstandingModel; the shared one when absent
    playbook_dir: str | None = None


class Grade(BaseModel):
    """A graded reply: score, steps, anti-patterns, the evidence, and what to do better."""

    objection: str
    lang: str
    score: int = Field(ge=0, le=100)
    steps: dict[str, bool]
    evidence: list[Evidence] = Field(default_factory=list)
    anti_patterns: list[str] = Field(default_factory=list)
    anti_pattern_evidence: list[Evidence] = Field(default_factory=list)
    weights: dict[str, float]
    feedback: str
    suggestion: str
    best_won_line: str | None = None
    empty_agreement: bool = False
    nav_options: list[NavOption] = Field(default_factory=list)
    ignored_instructions: list[str] = Field(default_factory=list)  # trainee text treated as data, not rules
    grader: str = "offline"
    judge: JudgeResult | None = None
    relevance: float | None = None  # how much the reply addresses the customer's concern, 0-1
    answers_question: float | None = None  # P(it answers the customer's question), None when nothing was asked
    off_topic: float | None = None
    asks_question: float | None = None  # P(the reply asks the customer something), read by the same layer
    unsure: bool = False  # the grader cannot tell whether the reply addresses the customer: worth a mentor's look


class ScoredTurn(BaseModel):
    customer: str
    reply: str
    grade: Grade


class Scorecard(BaseModel):
    """One practice session summed up for the trainee and the mentor."""

    turns: int
    average_score: float
    step_averages: dict[str, float]
    objections_raised: int
    objections_handled: int
    talk_ratio: float  # share of characters/words spoken by the trainee
    questions_asked: int
    follow_up: dict[str, bool]  # the five atoms of an effective follow-up
    practise_next: list[str]
    anti_pattern_counts: dict[str, int] = Field(default_factory=dict)


STEP_IDS = STEPS
