"""Pydantic models for playbook files: what a trainer may write, validated on load."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.taxonomy import ANTI_PATTERNS, DECISION_SIGNALS, OBJECTION_TYPES, STEPS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_Strict):
    """One text in Chinese and English (both required: both languages are first-class)."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class BilingualList(_Strict):
    """Several texts per language, e.g. trigger phrases or exemplar replies."""

    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    def get(self, lang: str) -> list[str]:
        return self.zh if lang == "zh" else self.en

    def merged(self, other: BilingualList) -> BilingualList:
        return BilingualList(zh=[*self.zh, *other.zh], en=[*self.en, *other.en])


class Cues(BilingualList):
    """Regular expressions (case-insensitive) whose match in a text shows a step, pattern or trigger."""

    @field_validator("zh", "en")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if any(ord(ch) < 32 for ch in pattern):  # never meant: YAML's "\b" is a backspace, not a word boundary
                raise ValueError(f"cue {pattern!r} contains a control character; in YAML double quotes \\b is a "
                                 "backspace: write the cue in single quotes ('\\bword\\b') or double the "
                                 "backslash (\"\\\\bword\\\\b\")")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"cue {pattern!r} is not a valid regular expression ({exc})") from exc
        return patterns


class Triggers(_Strict):
    """How a customer raises this objection: short cue phrases and whole exemplar utterances."""

    phrases: Cues
    exemplars: BilingualList

    @field_validator("exemplars")
    @classmethod
    def _enough(cls, value: BilingualList) -> BilingualList:
        if len(value.zh) < 5 or len(value.en) < 5:
            raise ValueError("give at least 5 exemplar utterances per language")
        return value


class StepGuide(_Strict):
    """One recommended step: what it means, cues that show it in a reply, exemplar replies with slots."""

    id: str
    description: Bilingual
    cues: Cues = Field(default_factory=Cues)
    exemplars: BilingualList = Field(default_factory=BilingualList)
    question_only: bool = False  # cues count only inside a question (clarify: asking, not telling)

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in STEPS:
            raise ValueError(f"unknown step {value!r}; use one of {', '.join(STEPS)}")
        return value


class AntiPattern(_Strict):
    """A habit that costs points; ``unless`` cues clear it (e.g. a discount tied to a trade-off)."""

    id: str
    description: Bilingual | None = None  # optional in a playbook: inherited from _shared.yaml
    advice: Bilingual | None = None
    cues: Cues = Field(default_factory=Cues)
    unless: Cues = Field(default_factory=Cues)

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ANTI_PATTERNS:
            raise ValueError(f"unknown anti-pattern {value!r}; use one of {', '.join(ANTI_PATTERNS)}")
        return value


class FlowPart(_Strict):
    """One piece of a micro-flow, e.g. a tiered concession or a value-anchoring script."""

    kind: Literal["concession", "value_anchor", "risk_hedge", "script"]
    name: Bilingual
    tier: int | None = None
    script: Bilingual


class MicroFlow(_Strict):
    id: str
    title: Bilingual
    parts: list[FlowPart] = Field(min_length=1)


class Playbook(_Strict):
    """The playbook for one objection type: the single source for practice, grading and live hints."""

    objection: str
    title: Bilingual
    summary: Bilingual
    triggers: Triggers
    steps: list[StepGuide] = Field(min_length=1)
    anti_patterns: list[AntiPattern] = Field(default_factory=list)
    micro_flows: list[MicroFlow] = Field(default_factory=list)
    source: str = ""  # file the playbook came from (set by the loader)

    @field_validator("objection")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in OBJECTION_TYPES:
            raise ValueError(f"unknown objection type {value!r}; use one of {', '.join(OBJECTION_TYPES)}")
        return value

    def step(self, step_id: str) -> StepGuide | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def anti_pattern(self, pattern_id: str) -> AntiPattern | None:
        return next((a for a in self.anti_patterns if a.id == pattern_id), None)

    def flow(self, flow_id: str) -> MicroFlow | None:
        return next((f for f in self.micro_flows if f.id == flow_id), None)


class SharedGuide(_Strict):
    """Cues every playbook inherits (file ``_shared.yaml``): generic step cues, anti-patterns, non-objections."""

    kind: Literal["shared"]
    steps: list[StepGuide]
    anti_patterns: list[AntiPattern]
    non_objection_exemplars: BilingualList
    decision_signals: dict[str, Cues]

    @field_validator("decision_signals")
    @classmethod
    def _known_signals(cls, value: dict[str, Cues]) -> dict[str, Cues]:
        unknown = set(value) - set(DECISION_SIGNALS)
        if unknown:
            raise ValueError(f"unknown decision signal(s) {sorted(unknown)}; use {', '.join(DECISION_SIGNALS)}")
        return value

    @field_validator("anti_patterns")
    @classmethod
    def _complete(cls, patterns: list[AntiPattern]) -> list[AntiPattern]:
        for pattern in patterns:
            if pattern.description is None or pattern.advice is None:
                raise ValueError(f"anti-pattern {pattern.id!r} needs a description and advice (zh and en)")
        return patterns
