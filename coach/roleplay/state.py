"""What the simulated customer feels and knows, updated after every trainee reply."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Act(BaseModel):
    """One customer move chosen by the policy; a realizer turns it into words."""

    kind: str  # one of knowledge.taxonomy.ACTS
    objection: str | None = None
    fact: str | None = None  # key of a persona fact to reveal
    intensity: float = 0.5
    reason: str = ""  # why the policy chose it: shown in previews and reviews


class CustomerState(BaseModel):
    """Trust and patience in [0, 1], the objections raised / resolved / escalated, what was revealed."""

    turn: int = 0
    trust: float = 0.4
    patience: float = 1.0
    active: str | None = None
    pending: list[str] = Field(default_factory=list)  # hidden objections not raised yet, in order
    raised: list[str] = Field(default_factory=list)
    resolved: list[str] = Field(default_factory=list)
    escalated: list[str] = Field(default_factory=list)
    presses: dict[str, int] = Field(default_factory=dict)
    progress: dict[str, float] = Field(default_factory=dict)  # how far each open objection has been handled
    revealed: list[str] = Field(default_factory=list)  # persona facts the trainee has learned
    used_lines: list[str] = Field(default_factory=list)  # fingerprints, so the customer does not repeat
    next_step_agreed: bool = False
    asked_for_next_step: bool = False
    ended: bool = False
    end_reason: str | None = None
    last_act: Act | None = None

    @property
    def outcome(self) -> str:
        if self.next_step_agreed:
            return "next_step_agreed"
        if self.end_reason == "patience":
            return "customer_ended"
        return "open" if not self.ended else (self.end_reason or "ended")
