"""Gate criteria: one small model per kind, registered by name, each judging a trainee's stored sessions.

A gate file picks a kind with ``kind:``; adding a kind is one class with ``evaluate`` plus ``@register``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.progression.evidence import SessionEvidence, TurnEvidence
from knowledge.taxonomy import OBJECTION_TYPES, STEPS


class ScenarioInfo(BaseModel):
    pool: str | None = None
    goal: str | None = None


InfoFn = Callable[[str], ScenarioInfo]


class CriterionResult(BaseModel):
    """Whether a criterion is met, how far along the trainee is, and the evidence counted."""

    kind: str
    met: bool
    have: int
    need: int
    text: dict[str, str]  # {"zh": ..., "en": ...}
    items: list[str] = Field(default_factory=list)  # what counted: objection types, session ids, days
    sessions: list[int] = Field(default_factory=list)


def _known(values: list[str], allowed: tuple[str, ...], what: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")
    return values


class Criterion(BaseModel):
    """Shared filters: which sessions and turns count, and the score a turn (or session) needs."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    min_score: float = Field(default=80, ge=0, le=100)
    without_hints: bool = False
    pools: list[str] = Field(default_factory=list, description="only sessions in these client pools")
    scenarios: list[str] = Field(default_factory=list, description="only sessions of these scenarios")

    @field_validator("pools")
    @classmethod
    def _pools(cls, value: list[str]) -> list[str]:
        from personas import get_pool

        for pool in value:
            get_pool(pool)  # raises with the known pools
        return value

    def counted(self, sessions: list[SessionEvidence], info: InfoFn) -> list[SessionEvidence]:
        out = []
        for sess in sessions:
            if self.without_hints and sess.hints:
                continue
            if self.scenarios and sess.scenario_id not in self.scenarios:
                continue
            if self.pools and info(sess.scenario_id).pool not in self.pools:
                continue
            out.append(sess)
        return out

    def _hint_note(self) -> tuple[str, str]:
        return ("，不看提示" if self.without_hints else "", ", without hints" if self.without_hints else "")

    def evaluate(self, sessions: list[SessionEvidence], info: InfoFn) -> CriterionResult:
        raise NotImplementedError


CRITERIA: dict[str, type[Criterion]] = {}


def register(cls: type[Criterion]) -> type[Criterion]:
    CRITERIA[cls.model_fields["kind"].default] = cls
    return cls


def _match_types_to_days(days_by_type: dict[str, set]) -> dict[str, object]:
    """Largest set of types that can each be credited to a different day (bipartite matching)."""
    owner: dict[object, str] = {}

    def place(kind: str, seen: set) -> bool:
        for day in sorted(days_by_type[kind]):
            if day in seen:
                continue
            seen.add(day)
            if day not in owner or place(owner[day], seen):
                owner[day] = kind
                return True
        return False

    for kind in sorted(days_by_type):
        place(kind, set())
    return {kind: day for day, kind in owner.items()}


@register
class ObjectionTypes(Criterion):
    """Handle N distinct objection types well, optionally each in a session on its own day."""

    kind: Literal["objection_types"] = "objection_types"
    min_types: int = Field(ge=1, le=len(OBJECTION_TYPES))
    objections: list[str] = Field(default_factory=list, description="only these types (empty: any)")
    distinct_days: bool = False

    @field_validator("objections")
    @classmethod
    def _objections(cls, value: list[str]) -> list[str]:
        return _known(value, OBJECTION_TYPES, "objection type")

    def evaluate(self, sessions, info):
        days_by_type: dict[str, set] = {}
        for sess in self.counted(sessions, info):
            for turn in sess.turns:
                if turn.objection and turn.score >= self.min_score and (
                        not self.objections or turn.objection in self.objections):
                    days_by_type.setdefault(turn.objection, set()).add(turn.day)
        credited = _match_types_to_days(days_by_type) if self.distinct_days else \
            {k: min(v) for k, v in days_by_type.items()}
        zh_h, en_h = self._hint_note()
        zh_d, en_d = ("，分别在不同日期", ", each on a different day") if self.distinct_days else ("", "")
        text = {"zh": f"独立处理 {self.min_types} 类异议（单轮得分≥{self.min_score:g}{zh_h}{zh_d}）",
                "en": f"handle {self.min_types} objection types (turn score ≥ {self.min_score:g}{en_h}{en_d})"}
        items = sorted(credited)
        return CriterionResult(kind=self.kind, met=len(items) >= self.min_types, have=len(items),
                               need=self.min_types, text=text,
                               items=[f"{k}@{credited[k]}" for k in items])


@register
class ObjectionSessions(Criterion):
    """Handle given objection types well in N different sessions (e.g. price negotiation)."""

    kind: Literal["objection_sessions"] = "objection_sessions"
    objections: list[str] = Field(min_length=1)
    min_sessions: int = Field(ge=1)

    @field_validator("objections")
    @classmethod
    def _objections(cls, value: list[str]) -> list[str]:
        return _known(value, OBJECTION_TYPES, "objection type")

    def evaluate(self, sessions, info):
        hit = [s.id for s in self.counted(sessions, info)
               if any(t.objection in self.objections and t.score >= self.min_score for t in s.turns)]
        names = "/".join(self.objections)
        zh_h, en_h = self._hint_note()
        text = {"zh": f"在 {self.min_sessions} 次练习中处理好 {names} 异议（单轮得分≥{self.min_score:g}{zh_h}）",
                "en": f"handle {names} well in {self.min_sessions} sessions (turn score ≥ {self.min_score:g}{en_h})"}
        return CriterionResult(kind=self.kind, met=len(hit) >= self.min_sessions, have=len(hit),
                               need=self.min_sessions, text=text, sessions=hit, items=[str(s) for s in hit])


@register
class StepSessions(Criterion):
    """Use a playbook step (e.g. clarify = discovery questions) in N sessions, M times each."""

    kind: Literal["step_sessions"] = "step_sessions"
    step: str
    min_turns: int = Field(default=1, ge=1)
    min_sessions: int = Field(ge=1)

    @field_validator("step")
    @classmethod
    def _step(cls, value: str) -> str:
        return _known([value], STEPS, "playbook step")[0]

    def _good(self, turn: TurnEvidence) -> bool:
        return self.step in turn.steps and turn.score >= self.min_score

    def evaluate(self, sessions, info):
        hit = [s.id for s in self.counted(sessions, info) if sum(self._good(t) for t in s.turns) >= self.min_turns]
        zh_h, en_h = self._hint_note()
        text = {"zh": f"在 {self.min_sessions} 次练习中各至少 {self.min_turns} 次做到「{self.step}」"
                      f"（单轮得分≥{self.min_score:g}{zh_h}）",
                "en": f"use '{self.step}' at least {self.min_turns}× in each of {self.min_sessions} sessions "
                      f"(turn score ≥ {self.min_score:g}{en_h})"}
        return CriterionResult(kind=self.kind, met=len(hit) >= self.min_sessions, have=len(hit),
                               need=self.min_sessions, text=text, sessions=hit, items=[str(s) for s in hit])


OUTCOMES = ("next_step_agreed", "customer_ended", "ended_by_trainee", "max_turns", "unhandled")


@register
class OutcomeSessions(Criterion):
    """End N sessions with a given outcome (e.g. next step agreed), session score at least min_score."""

    kind: Literal["outcome_sessions"] = "outcome_sessions"
    outcomes: list[str] = Field(default_factory=lambda: ["next_step_agreed"], min_length=1)
    goals: list[str] = Field(default_factory=list, description="only scenarios with these goal kinds")
    min_sessions: int = Field(ge=1)

    @field_validator("outcomes")
    @classmethod
    def _outcomes(cls, value: list[str]) -> list[str]:
        return _known(value, OUTCOMES, "outcome")

    @field_validator("goals")
    @classmethod
    def _goals(cls, value: list[str]) -> list[str]:
        from scenarios import GOALS

        return _known(value, GOALS, "goal")

    def evaluate(self, sessions, info):
        hit = [s.id for s in self.counted(sessions, info)
               if s.outcome in self.outcomes and s.score >= self.min_score
               and (not self.goals or info(s.scenario_id).goal in self.goals)]
        goal = f"（目标：{'/'.join(self.goals)}）" if self.goals else ""
        goal_en = f" (goal: {'/'.join(self.goals)})" if self.goals else ""
        zh_h, en_h = self._hint_note()
        text = {"zh": f"{self.min_sessions} 次练习以 {'/'.join(self.outcomes)} 结束{goal}，整场得分≥{self.min_score:g}{zh_h}",
                "en": f"end {self.min_sessions} sessions with {'/'.join(self.outcomes)}{goal_en}, "
                      f"session score ≥ {self.min_score:g}{en_h}"}
        return CriterionResult(kind=self.kind, met=len(hit) >= self.min_sessions, have=len(hit),
                               need=self.min_sessions, text=text, sessions=hit, items=[str(s) for s in hit])

