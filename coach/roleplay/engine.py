"""The turn loop: grade the reply -> update the customer's state -> the policy picks an act -> a realizer
words it. Pure: no database here (coach.practice persists), so every step is testable and replayable."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.policy import (
    HiddenObjection,
    PolicyConfig,
    ReplySignal,
    choose_act,
    update_state,
)
from coach.roleplay.realizer import (
    OfflineRealizer,
    Realizer,
    RealizeRequest,
    RealizerEvent,
    SpokenLine,
    fingerprint,
)
from coach.roleplay.state import Act, CustomerState

# grade(customer_line, reply, objection, lang, weights, persona) -> a Grade with score/steps/anti_patterns
GradeFn = Callable[[str, str, str | None, str, dict[str, float] | None, PersonaView], Any]


class Setup(BaseModel):
    """What the engine needs from a scenario and persona."""

    scenario_id: str
    lang: str = "zh"
    objections: list[HiddenObjection] = Field(default_factory=list)
    max_turns: int = 12
    intensity: float = 0.5
    weights: dict[str, float] | None = None
    hints: bool = True

    model_config = {"arbitrary_types_allowed": True}


class LineOrigin(BaseModel):
    """Who wrote a customer line: the LLM (and which model) or the offline customer, and what the user was told."""

    source: str = "offline"  # llm | offline
    model: str | None = None
    notices: list[str] = Field(default_factory=list)


class Opening(BaseModel):
    """The customer's first line with its origin and notices (``open`` keeps the old tuple for callers)."""

    state: CustomerState
    act: Act
    text: str
    notices: list[str] = Field(default_factory=list)
    origin: LineOrigin = Field(default_factory=LineOrigin)


class TurnResult(BaseModel):
    reply: str
    grade: dict[str, Any]
    act: Act
    customer_text: str
    notices: list[str] = Field(default_factory=list)
    state: CustomerState
    latency_ms: float = 0.0
    ended: bool = False
    origin: LineOrigin = Field(default_factory=LineOrigin)


def _signal(grade: Any, reply: str) -> ReplySignal:
    steps = getattr(grade, "steps", {}) or {}
    return ReplySignal(
        score=float(getattr(grade, "score", 0)),
        steps=frozenset(k for k, v in steps.items() if v),
        anti_patterns=frozenset(getattr(grade, "anti_patterns", []) or []),
        asks_question=float(getattr(grade, "asks_question", None) or 0.0) >= 0.5,
        text=reply,
        relevance=float(getattr(grade, "relevance", None) if getattr(grade, "relevance", None) is not None else 1.0),
        off_topic=float(getattr(grade, "off_topic", None) or 0.0),
    )


def _dump(grade: Any) -> dict[str, Any]:
    return grade.model_dump(mode="json") if hasattr(grade, "model_dump") else dict(grade)


class RolePlayEngine:
    """Drives one simulated customer; collaborators are injected so tests and the LLM path swap them."""

    def __init__(self, grade: GradeFn, realizer: Realizer | None = None, fallback: Realizer | None = None,
                 read_ahead: Callable[[str, str | None], None] | None = None):
        self.grade = grade
        self._read_ahead = read_ahead
        self.realizer = realizer or OfflineRealizer()
        self.fallback = fallback or (self.realizer if isinstance(self.realizer, OfflineRealizer) else OfflineRealizer())

    def config(self, setup: Setup, persona: PersonaView) -> PolicyConfig:
        return PolicyConfig(max_turns=setup.max_turns, intensity=setup.intensity, facts=list(persona.facts),
                            persona=persona)

    def open(self, setup: Setup, persona: PersonaView, seed: int) -> tuple[CustomerState, Act, str]:
        """The customer's first line (usually the scenario's first objection)."""
        opening = self.open_line(setup, persona, seed)
        return opening.state, opening.act, opening.text

    def open_line(self, setup: Setup, persona: PersonaView, seed: int) -> Opening:
        """The first line with the realizer's notices (a fallback on the opening is never silent) and origin."""
        state = CustomerState(pending=[o.type for o in setup.objections])
        rng = random.Random(f"{seed}:open")
        act = choose_act(state, None, setup.objections, self.config(setup, persona), rng)
        request = RealizeRequest(act=act, persona=persona, state=state, seed=seed)
        line, origin = SpokenLine(), LineOrigin()
        for event in self._speak(request):
            if event.kind == "origin":
                origin = LineOrigin.model_validate_json(event.text)
            line.add(event)
        self._remember(state, act, line.text)
        return Opening(state=state, act=act, text=line.text, notices=line.notices, origin=origin)

    def _speak(self, request: RealizeRequest) -> Iterator[RealizerEvent]:
        """The realizer's events without its ``source`` marks, then one ``origin`` event (JSON LineOrigin);
        an empty line is answered by the fallback."""
        line, source = SpokenLine(), None
        for event in self.realizer.stream(request):
            if event.kind == "source":
                source = event.text
                continue
            line.add(event)
            yield event
        if not line.text.strip():
            text, _ = self.fallback.realize(request)
            source = "offline"
            yield RealizerEvent(kind="reset")
            yield RealizerEvent(kind="delta", text=text)
        source = source or self.realizer.name
        kind, _, model = source.partition(":")
        origin = LineOrigin(source="llm" if kind == "llm" else "offline", model=model or None, notices=line.notices)
        yield RealizerEvent(kind="origin", text=origin.model_dump_json())

    def read_ahead(self, customer_line: str, objection: str | None = None) -> None:
        """Read the customer's line while the trainee reads it and types: the grade of the reply to it then
        embeds only the reply (and finds the won-deal line for ``objection`` ready). Called after the line is
        shown, never inside a turn."""
        if self._read_ahead is not None and customer_line.strip():
            self._read_ahead(customer_line, objection)

    def stream_step(self, setup: Setup, persona: PersonaView, state: CustomerState, seed: int,
                    history: list[tuple[str, str]], reply: str) -> Iterator[RealizerEvent | TurnResult]:
        """Grade and answer one reply; yields realizer events while the customer 'speaks', then the result."""
        started = time.perf_counter()
        state = state.model_copy(deep=True)
        customer_line = next((t for s, t in reversed(history) if s == "customer"), "")
        # the policy knows whether an objection is open; "none" spares the grader a detection pass
        objection = state.active or "none"
        grade = self.grade(customer_line, reply, objection, setup.lang, setup.weights, persona)
        signal = _signal(grade, reply)
        severity = {o.type: o.severity for o in setup.objections}
        cfg = self.config(setup, persona)
        resolved = update_state(state, signal, severity, cfg)
        rng = random.Random(f"{seed}:{state.turn}")
        act = choose_act(state, signal, setup.objections, cfg, rng, just_resolved=resolved)
        if act.fact and act.fact not in state.revealed:
            state.revealed.append(act.fact)
        request = RealizeRequest(act=act, persona=persona, state=state, seed=seed,
                                 history=[*history, ("trainee", reply)], trainee_reply=reply)
        line, origin = SpokenLine(), LineOrigin()
        for event in self._speak(request):
            if event.kind == "origin":  # ours, not the UI's: it travels in the TurnResult
                origin = LineOrigin.model_validate_json(event.text)
                continue
            line.add(event)
            yield event
        text, notices = line.text, line.notices
        self._remember(state, act, text)
        if act.kind in {"end_call", "agree_next_step"}:
            state.ended = True
            state.end_reason = "next_step" if act.kind == "agree_next_step" else (
                "patience" if "patience" in act.reason else "max_turns" if "maximum" in act.reason else "unhandled")
        yield TurnResult(reply=reply, grade=_dump(grade), act=act, customer_text=text, notices=notices, state=state,
                         latency_ms=(time.perf_counter() - started) * 1000, ended=state.ended, origin=origin)

    def step(self, setup: Setup, persona: PersonaView, state: CustomerState, seed: int,
             history: list[tuple[str, str]], reply: str) -> TurnResult:
        result = None
        for item in self.stream_step(setup, persona, state, seed, history, reply):
            if isinstance(item, TurnResult):
                result = item
        assert result is not None
        return result

    @staticmethod
    def _remember(state: CustomerState, act: Act, text: str) -> None:
        state.last_act = act
        state.used_lines.append(fingerprint(text))
