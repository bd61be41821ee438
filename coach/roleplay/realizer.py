"""Realizers turn a chosen act into the customer's words. One interface, a registry keyed by name;
the offline realizer is registered the same way as the LLM one."""

from __future__ import annotations

import hashlib
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

from pydantic import BaseModel, Field

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.state import Act, CustomerState
from coach.roleplay.templates import load_line_bank


class RealizeRequest(BaseModel):
    act: Act
    persona: PersonaView
    state: CustomerState
    seed: int = 0
    history: list[tuple[str, str]] = Field(default_factory=list)  # (speaker, text), oldest first
    trainee_reply: str = ""


class RealizerEvent(BaseModel):
    """``delta`` appends text; ``reset`` discards what was streamed (a guard fired); ``notice`` tells the user."""

    kind: str
    text: str = ""


class Realizer(ABC):
    name = "realizer"

    @abstractmethod
    def stream(self, request: RealizeRequest) -> Iterator[RealizerEvent]:
        """Yield the customer's line as events; the final text is the deltas after the last reset."""

    def realize(self, request: RealizeRequest) -> tuple[str, list[str]]:
        """The final text and any notices, for callers that do not stream."""
        text, notices = "", []
        for event in self.stream(request):
            if event.kind == "delta":
                text += event.text
            elif event.kind == "reset":
                text = ""
            elif event.kind == "notice":
                notices.append(event.text)
        return text, notices


REALIZERS: dict[str, Callable[..., Realizer]] = {}


def register_realizer(name: str):
    def wrap(factory):
        REALIZERS[name] = factory
        return factory
    return wrap


def fingerprint(text: str) -> str:
    return hashlib.sha1(re.sub(r"\W+", "", text).encode()).hexdigest()[:10]


LineSource = Callable[[RealizeRequest], list[str]]


@register_realizer("offline")
class OfflineRealizer(Realizer):
    """Real customer lines retrieved from similar deals (through ``line_source``), adapted to the persona,
    never repeating within a session; the bundled line bank covers acts retrieval cannot."""

    name = "offline"
    # Facts must come from the persona, so these acts always use persona-filled templates.
    TEMPLATE_ONLY = {"reveal_fact", "agree_next_step", "greet"}

    def __init__(self, line_source: LineSource | None = None) -> None:
        self.line_source = line_source
        self.bank = load_line_bank()

    def candidates(self, request: RealizeRequest) -> list[str]:
        act, persona = request.act, request.persona
        retrieved = []
        if self.line_source is not None and act.kind not in self.TEMPLATE_ONLY:
            retrieved = [line for line in self.line_source(request) if line.strip()]
        templates = [persona.fill(t) for t in self.bank.lines(act.kind, persona.lang, act.objection, act.fact)]
        return retrieved + templates if retrieved else templates

    def stream(self, request: RealizeRequest) -> Iterator[RealizerEvent]:
        lines = self.candidates(request)
        used = set(request.state.used_lines)
        fresh = [line for line in lines if fingerprint(line) not in used] or lines
        if not fresh:
            fresh = ["嗯。" if request.persona.lang == "zh" else "Hm."]
        rng = random.Random(f"{request.seed}:{request.state.turn}:{request.act.kind}:{request.act.objection}")
        # Prefer retrieved lines (they come first) but keep variety among the best eight.
        pick = fresh[rng.randrange(min(len(fresh), 8))]
        yield RealizerEvent(kind="delta", text=pick)


def get_realizer(name: str, **kwargs) -> Realizer:
    if name not in REALIZERS:
        raise ValueError(f"unknown realizer {name!r}; choose from {', '.join(sorted(REALIZERS))}")
    return REALIZERS[name](**kwargs)
