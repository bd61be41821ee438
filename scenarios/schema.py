"""The scenario file format (trainer-authored YAML), as pydantic models that reject anything unknown."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from knowledge.taxonomy import DECISION_SIGNALS, OBJECTION_TYPES, STEPS, Lang
from personas import PersonaConstraints

GOALS: tuple[str, ...] = (
    "book_demo", "confirm_budget", "reach_decision_maker", "close_next_step",
    "get_trial", "shortlist_tender", "renew_contract",
)
WEIGHT_TOLERANCE = 0.01


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")
    return value


ObjectionType = Annotated[str, AfterValidator(lambda v: _one_of(v, OBJECTION_TYPES, "objection type"))]
Signal = Annotated[str, AfterValidator(lambda v: _one_of(v, DECISION_SIGNALS, "decision signal"))]


class ObjectionPlan(_Strict):
    """The objections the customer raises on purpose, in order or at random."""

    types: list[ObjectionType] = Field(min_length=1)
    order: Literal["sequential", "random"] = "sequential"
    intensity: Literal["low", "medium", "high"] = "medium"

    @field_validator("types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("an objection type is listed twice; list each type once")
        return value


class Goal(_Strict):
    kind: str
    text: str = Field(min_length=1)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _one_of(value, GOALS, "goal")


class SuccessCriteria(_Strict):
    """When a session counts as a success: decision signals reached, objections resolved, a minimum score."""

    signals: list[Signal] = Field(default_factory=list)
    resolve_objections: bool = True
    min_score: float = Field(default=0.6, ge=0, le=1)
    text: str = ""


class Scenario(_Strict):
    """One practice set-up: who the customer is, what they object to, what the trainee must achieve."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")
    title: str = Field(min_length=1)
    language: Lang
    pool: str
    description: str = ""
    opening: str = Field(default="", description="context for the customer's opening line")
    persona: PersonaConstraints = Field(default_factory=PersonaConstraints)
    objections: ObjectionPlan
    goal: Goal
    success: SuccessCriteria = Field(default_factory=SuccessCriteria)
    rubric: dict[str, float]
    max_turns: int = Field(ge=1, le=60)
    hints: bool = True
    gates: list[str] = Field(default_factory=list)
    version: int = Field(default=1, ge=1)

    @field_validator("pool")
    @classmethod
    def _pool(cls, value: str) -> str:
        from personas import get_pool

        get_pool(value)  # raises with the list of known pools
        return value

    @field_validator("rubric")
    @classmethod
    def _rubric(cls, value: dict[str, float]) -> dict[str, float]:
        for step, weight in value.items():
            _one_of(step, STEPS, "rubric step")
            if weight < 0:
                raise ValueError(f"weight for {step!r} is negative ({weight}); use 0 to ignore a step")
        total = sum(value.values())
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"weights sum to {total:.3f}, not 1 (±{WEIGHT_TOLERANCE}); adjust them")
        return value

    def step_weights(self) -> dict[str, float]:
        """Weights for every playbook step, 0 for steps the file leaves out."""
        return {step: self.rubric.get(step, 0.0) for step in STEPS}

    def content_hash(self) -> str:
        """Fingerprint of what the scenario means (not its comments or layout, not its version number)."""
        payload = self.model_dump(mode="json", exclude={"version"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
