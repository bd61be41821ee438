"""The data that turns deal facts into persona behaviour (data/behaviour.yaml), validated on load."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.taxonomy import OBJECTION_TYPES, SEGMENTS
from personas._data import load_data_file
from personas.pools import Localized

TriggerKind = Literal["topic", "rep_asks", "after_turn", "always"]
DECISION_CYCLES: tuple[str, ...] = ("fast", "standard", "committee")
TEMPERAMENTS: tuple[str, ...] = ("direct", "cautious", "assertive", "talkative")
SPEAKING_STYLES: tuple[str, ...] = ("formal", "casual")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Role(_Strict):
    id: str
    label: Localized
    title: Localized
    keywords: list[str]


class CycleBand(_Strict):
    max_days: int = Field(ge=0)
    label: Localized


class DecisionCycleRules(_Strict):
    fast: CycleBand
    standard: CycleBand
    committee: CycleBand
    committee_chain_size: int = Field(ge=1)


class TemperamentRules(_Strict):
    talkative_min_chars: dict[str, int]
    assertive_min_presses: int
    cautious_min_stalls: int


class TriggerOption(_Strict):
    kind: TriggerKind
    value: str | None = None


class Behaviour(_Strict):
    roles: list[Role]
    decision_cycle: DecisionCycleRules
    temperaments: dict[str, Localized]
    temperament_rules: TemperamentRules
    speaking_styles: dict[str, Localized]
    formal_markers: list[str]
    triggers: dict[str, list[TriggerOption]]
    trigger_text: dict[str, Localized]
    trigger_values: dict[str, Localized]
    company_text: Localized
    segment_nouns: dict[str, Localized]
    industry_labels_en: dict[str, str]

    @field_validator("temperaments")
    @classmethod
    def _temperaments(cls, value: dict[str, Localized]) -> dict[str, Localized]:
        if set(value) != set(TEMPERAMENTS):
            raise ValueError(f"temperaments must be exactly {', '.join(TEMPERAMENTS)}")
        return value

    @field_validator("speaking_styles")
    @classmethod
    def _styles(cls, value: dict[str, Localized]) -> dict[str, Localized]:
        if set(value) != set(SPEAKING_STYLES):
            raise ValueError(f"speaking_styles must be exactly {', '.join(SPEAKING_STYLES)}")
        return value

    @field_validator("triggers")
    @classmethod
    def _triggers(cls, value: dict[str, list[TriggerOption]]) -> dict[str, list[TriggerOption]]:
        missing = [t for t in OBJECTION_TYPES if not value.get(t)]
        if missing:
            raise ValueError(f"no trigger options for objection type {missing[0]!r}")
        unknown = [t for t in value if t not in OBJECTION_TYPES]
        if unknown:
            raise ValueError(f"unknown objection type {unknown[0]!r}; use one of {', '.join(OBJECTION_TYPES)}")
        return value

    @field_validator("segment_nouns")
    @classmethod
    def _segments(cls, value: dict[str, Localized]) -> dict[str, Localized]:
        missing = [s for s in SEGMENTS if s not in value]
        if missing:
            raise ValueError(f"no noun for segment {missing[0]!r}")
        return value

    def role_for(self, title: str | None) -> Role:
        """The decision-chain role a title implies; the last role (influencer) when none matches."""
        lowered = (title or "").lower()
        for role in self.roles:
            if any(_contains(lowered, k.lower()) for k in role.keywords):
                return role
        return self.roles[-1]


def _contains(text: str, keyword: str) -> bool:
    """Chinese keywords match anywhere; Latin ones only as whole words ("IT" must not match "facility")."""
    if keyword.isascii():
        return re.search(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", text) is not None
    return keyword in text


class NameParts(_Strict):
    surnames: list[str] = Field(default_factory=list)
    given_chars: list[str] = Field(default_factory=list)
    first: list[str] = Field(default_factory=list)
    last: list[str] = Field(default_factory=list)
    blocked: list[str] = Field(default_factory=list)


class NameFile(_Strict):
    zh: NameParts
    en: NameParts

    @field_validator("zh")
    @classmethod
    def _zh(cls, value: NameParts) -> NameParts:
        if len(value.surnames) < 20 or len(value.given_chars) < 30:
            raise ValueError("need at least 20 surnames and 30 given-name characters")
        return value

    @field_validator("en")
    @classmethod
    def _en(cls, value: NameParts) -> NameParts:
        if len(value.first) < 20 or len(value.last) < 20:
            raise ValueError("need at least 20 first and 20 last names")
        return value


@lru_cache(maxsize=1)
def get_behaviour() -> Behaviour:
    return load_data_file("behaviour.yaml", Behaviour)


@lru_cache(maxsize=1)
def get_names() -> NameFile:
    return load_data_file("names.yaml", NameFile)
