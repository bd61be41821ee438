"""Realizers turn a chosen act into the customer's words. One interface, a registry keyed by name;
the offline realizer is registered the same way as the LLM one."""

from __future__ import annotations

import hashlib
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator

from pydantic import BaseModel, Field

from coach.roleplay.consistency import catalogue, check_line
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.reaction_bank import load_reaction_bank, question_lines, reaction_lines, voice_lines
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


class SpokenLine:
    """What a stream of realizer events has said so far: the text after the last ``reset``, and the notices."""

    def __init__(self) -> None:
        self.text = ""
        self.notices: list[str] = []

    def add(self, event: RealizerEvent) -> None:
        if event.kind == "delta":
            self.text += event.text
        elif event.kind == "reset":
            self.text = ""
        elif event.kind == "notice":
            self.notices.append(event.text)


class Realizer(ABC):
    name = "realizer"

    @abstractmethod
    def stream(self, request: RealizeRequest) -> Iterator[RealizerEvent]:
        """Yield the customer's line as events; the final text is the deltas after the last reset."""

    def realize(self, request: RealizeRequest) -> tuple[str, list[str]]:
        """The final text and any notices, for callers that do not stream."""
        line = SpokenLine()
        for event in self.stream(request):
            line.add(event)
        return line.text, line.notices


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
    """Composes the customer's line from a reaction part (an answer to the question asked, a stance on the offer
    made, a pull-back, a recalled promise: coach/data/customer_reactions.yaml) and an act part (real customer
    lines retrieved from similar deals through ``line_source``, or the bundled line bank). Every part passes
    the persona consistency check, and no line is said twice in a session."""

    name = "offline"
    # Facts must come from the persona, so these acts always use persona-filled templates.
    TEMPLATE_ONLY = {"reveal_fact", "agree_next_step", "greet"}
    MARKERS = {"zh": ["嗯，", "这么说吧，", "我直说，", "怎么说呢，", "你听我说，", "坦白讲，"],
               "en": ["Well, ", "Look, ", "Honestly, ", "Right. ", "Okay. ", "See, "]}

    def __init__(self, line_source: LineSource | None = None) -> None:
        self.line_source = line_source
        self.bank = load_line_bank()
        load_reaction_bank()  # parse the YAML and the vocabulary now, not on the first turn
        catalogue()

    def candidates(self, request: RealizeRequest) -> list[str]:
        """Act parts: retrieved deal lines first, then the line bank; all consistent with the persona."""
        act, persona = request.act, request.persona
        retrieved = []
        if self.line_source is not None and act.kind not in self.TEMPLATE_ONLY:
            retrieved = [line for line in self.line_source(request) if line.strip()]
        if act.kind == "ask_question":
            covered = covered_topics(request)
            bank = load_reaction_bank()
            retrieved = [line for line in retrieved if not bank.asked_about(line) & covered]
            templates = question_lines(persona, covered)
        else:
            templates = [persona.fill(t) for t in self.bank.lines(act.kind, persona.lang, act.objection, act.fact)]
        lines = [line for line in dict.fromkeys(retrieved + templates)
                 if not check_line(line, persona) and not leaks_fact(line, request)]
        covered = covered_topics(request)
        unasked = [line for line in lines if not asks_covered(line, covered)]  # no question the rep answered
        return unasked or lines

    def lead_parts(self, request: RealizeRequest) -> list[list[str]]:
        """One list of wordings per reaction, each consistent with the persona. Two offers the rep repeats get one
        "heard that" (a customer says it once, not once per offer)."""
        persona, state = request.persona, request.state
        parts = []
        repeats = 0
        for reaction in request.act.reactions:
            if reaction.kind == "offer" and reaction.stance == "repeat":
                repeats += 1
                if repeats > 1:
                    continue
            lines = [line for line in reaction_lines(reaction, persona, state) if not check_line(line, persona)]
            if lines:
                parts.append(lines)
        return parts

    def compose(self, request: RealizeRequest, rng: random.Random) -> list[str]:
        act, lang = request.act, ("en" if request.persona.lang == "en" else "zh")
        leads = self.lead_parts(request)
        answered_here = any(r.kind == "answer" and r.fact and r.fact == act.fact for r in act.reactions)
        tails = [""] if (answered_here and leads) else self.candidates(request)
        if not tails and leads:
            tails = [""]  # every act line was filtered out: the reaction alone still answers the rep
        said = [text for speaker, text in request.history if speaker == "customer"]
        tails = [t for t in tails if not t or not any(t in line for line in said)] or tails  # not said before
        leads = [[p for p in options if not any(p in line for line in said)] or options for options in leads]
        if not leads:
            return tails
        joiner = " " if lang == "en" else ""
        heads = [""]
        for options in leads:
            options = options[:]
            rng.shuffle(options)
            heads = [f"{h}{joiner if h else ''}{o}" for h in heads for o in options][:24]
        join = lambda h, t: f"{h}{joiner if t else ''}{t}"  # noqa: E731
        # every act part once, the reaction wordings rotating over them, then every other pairing (for freshness)
        first = [join(heads[i % len(heads)], t) for i, t in enumerate(tails[:12])]
        return list(dict.fromkeys(first + [join(h, t) for t in tails[:12] for h in heads]))

    def with_voice(self, request: RealizeRequest, lines: list[str], rng: random.Random) -> list[str]:
        """Now and then the persona's temperament adds a clause of its own (talkative often, direct never)."""
        chance, clauses = voice_lines(request.persona)
        if not clauses or request.act.kind in {"end_call", "agree_next_step"} or rng.random() >= chance:
            return lines
        said = [text for speaker, text in request.history if speaker == "customer"]
        clauses = [c for c in clauses if not any(c in line for line in said) and not check_line(c, request.persona)
                   and not leaks_fact(c, request)]
        if not clauses:
            return lines
        joiner = " " if request.persona.lang == "en" else ""
        voiced = [f"{line}{joiner}{clauses[rng.randrange(len(clauses))]}" if line else line for line in lines]
        return voiced + lines

    def stream(self, request: RealizeRequest) -> Iterator[RealizerEvent]:
        rng = random.Random(f"{request.seed}:{request.state.turn}:{request.act.kind}:{request.act.objection}")
        lines = self.with_voice(request, self.compose(request, rng), rng)
        used = set(request.state.used_lines)
        fresh = [line for line in lines if line.strip() and fingerprint(line) not in used]
        if not fresh:
            fresh = self.unused_variant(request, lines, used)
        # Prefer retrieved act parts (they come first) but keep variety among the best sixteen.
        pick = fresh[rng.randrange(min(len(fresh), 16))]
        yield RealizerEvent(kind="delta", text=pick)

    def unused_variant(self, request: RealizeRequest, lines: list[str], used: set[str]) -> list[str]:
        """Every wording was said already: stall lines, then the same lines with a spoken opener; never a repeat."""
        persona = request.persona
        lang = "en" if persona.lang == "en" else "zh"
        pool = [line for line in lines if line.strip()] or [
            persona.fill(t) for t in self.bank.lines("stall", persona.lang)] or ["嗯。" if lang == "zh" else "Hm."]
        for marker in self.MARKERS[lang]:
            fresh = [f"{marker}{line[0].lower() + line[1:] if lang == 'en' and not line.startswith('I ') else line}"
                     for line in pool]
            fresh = [line for line in fresh if fingerprint(line) not in used]
            if fresh:
                return fresh
        return [f"{pool[0]} ({len(used)})"]  # a session longer than every wording: still never the same line


def leaks_fact(line: str, request: RealizeRequest) -> bool:
    """The line gives away a hidden fact (budget, pain, timeline) the customer has not revealed yet."""
    persona, state = request.persona, request.state
    for key, value in (("budget", persona.budget), ("pain_points", persona.pain), ("timeline", persona.timeline)):
        if value and value in line and key not in state.revealed and key != request.act.fact:
            return True
    return False


_QUESTION_SENTENCE = re.compile(r"[^。！？!?.]*[？?]")


def asks_covered(line: str, covered: set[str]) -> bool:
    """The line asks about something the rep has already covered (a question sentence on that topic)."""
    if not covered:
        return False
    bank = load_reaction_bank()
    return any(bank.asked_about(q) & covered for q in _QUESTION_SENTENCE.findall(line))


def covered_topics(request: RealizeRequest) -> set[str]:
    """What the rep has already talked about (pricing, references, roll-out, support, exit): not asked again."""
    bank = load_reaction_bank()
    covered: set[str] = set()
    for speaker, text in [*request.history, ("trainee", request.trainee_reply)]:
        if speaker != "customer":
            covered |= bank.asked_about(text)
    return covered


def get_realizer(name: str, **kwargs) -> Realizer:
    if name not in REALIZERS:
        raise ValueError(f"unknown realizer {name!r}; choose from {', '.join(sorted(REALIZERS))}")
    return REALIZERS[name](**kwargs)
