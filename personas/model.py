"""The persona a trainee talks to: a public face and the hidden facts that drive the simulation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.taxonomy import INDUSTRIES, SEGMENTS, Lang
from personas.behaviour import TriggerKind

DecisionCycle = Literal["fast", "standard", "committee"]
Temperament = Literal["direct", "cautious", "assertive", "talkative"]
SpeakingStyle = Literal["formal", "casual"]


class PublicProfile(BaseModel):
    """All the trainee ever sees of the customer."""

    name: str
    title: str
    company: str


class Company(BaseModel):
    industry: str
    segment: str
    size: str | None = None
    description: str


class CompetitorUse(BaseModel):
    """The vendor the customer uses now (the first competitor listed on the grounding deal)."""

    name: str | None = None
    satisfaction: float | None = Field(default=None, ge=0, le=1)
    also_evaluating: list[str] = Field(default_factory=list)


class Trigger(BaseModel):
    kind: TriggerKind
    value: str | None = None
    text: str


class HiddenObjection(BaseModel):
    type: str
    trigger: Trigger
    severity: float = Field(ge=0, le=1)
    source: Literal["scenario", "deals"]


class KnownFacts(BaseModel):
    budget: float | None = None
    currency: str = "CNY"
    current_vendor: str | None = None
    pain_points: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)


class Persona(BaseModel):
    """A simulated customer, reproducible from (scenario, pool, seed)."""

    scenario_id: str
    pool: str
    seed: int
    lang: Lang
    name: str
    title: str
    role: str
    company: Company
    budget_sensitivity: float = Field(ge=0, le=1)
    decision_cycle: DecisionCycle
    competitor: CompetitorUse
    decision_chain: list[str]
    hidden_objections: list[HiddenObjection]
    temperament: Temperament
    speaking_style: SpeakingStyle
    facts: KnownFacts
    source_deal_ids: list[str]

    def public(self) -> PublicProfile:
        """The part shown to the trainee: name, title and a company description."""
        return PublicProfile(name=self.name, title=self.title, company=self.company.description)


class PersonaConstraints(BaseModel):
    """What a scenario asks of its customer; empty lists mean "any"."""

    model_config = ConfigDict(extra="forbid")
    industry: list[str] = Field(default_factory=list)
    segment: list[str] = Field(default_factory=list)
    budget_sensitivity: tuple[float, float] = (0.0, 1.0)
    decision_cycle: list[DecisionCycle] = Field(default_factory=list)
    temperament: list[Temperament] = Field(default_factory=list)
    has_competitor: bool | None = None
    role: list[str] = Field(default_factory=list, description="decision-chain roles, e.g. decision_maker")
    title: str | None = Field(default=None, description="fixed public title, e.g. 院长 or CTO")

    @field_validator("role")
    @classmethod
    def _role(cls, value: list[str]) -> list[str]:
        from personas.behaviour import get_behaviour

        known = [r.id for r in get_behaviour().roles]
        for item in value:
            if item not in known:
                raise ValueError(f"unknown role {item!r}; use one of {', '.join(known)}")
        return value

    @field_validator("industry")
    @classmethod
    def _industry(cls, value: list[str]) -> list[str]:
        for item in value:
            if item not in INDUSTRIES:
                raise ValueError(f"unknown industry {item!r}; use one of {', '.join(INDUSTRIES)}")
        return value

    @field_validator("segment")
    @classmethod
    def _segment(cls, value: list[str]) -> list[str]:
        for item in value:
            if item not in SEGMENTS:
                raise ValueError(f"unknown segment {item!r}; use one of {', '.join(SEGMENTS)}")
        return value

    @field_validator("budget_sensitivity")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not (0 <= low <= high <= 1):
            raise ValueError(f"range [{low}, {high}] must satisfy 0 <= low <= high <= 1")
        return value
