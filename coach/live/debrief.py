"""战报即时解析: after a call, the three key decision signals, the agreed next steps, each objection and whether
it was handled, and the three best-matching moments from won deals, from the same processor the live hints use.

The debrief reads the records the cards were made from: an objection is listed only when the rep saw a card
for it (a weak detection that never got a card is not "handled" in the debrief either)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from coach.live.assist import LiveAssist, SignalMoment
from coach.live.calls import parse_call_text
from coach.live.events import Moment, TranscriptEvent, parse_event
from coach.live.factory import LiveKit
from coach.live.signals import signal_label
from knowledge.taxonomy import DECISION_SIGNALS

KEY_SIGNALS = 3
SUCCESS_CASES = 3


class DebriefSignal(SignalMoment):
    label: str


class DebriefObjection(BaseModel):
    objection: str
    title: str
    text: str  # the customer's words the first time
    times: int  # how often it came up
    handled: bool  # the rep's reply to its latest raise handled it
    handled_times: int
    reply: str | None = None  # the rep's reply to the latest raise
    card_ids: list[str] = Field(default_factory=list)  # the cards the rep saw for it, as sent on the stream


class Debrief(BaseModel):
    lang: str
    utterances: int
    customer_utterances: int
    duration_s: float | None = None
    signals: list[DebriefSignal] = Field(default_factory=list)
    next_steps: list[DebriefSignal] = Field(default_factory=list)  # every agreed next step, with its date/time
    objections: list[DebriefObjection] = Field(default_factory=list)
    success_cases: list[Moment] = Field(default_factory=list)
    mood: float = 1.0
    mood_warning: bool = False

    @property
    def unhandled(self) -> list[DebriefObjection]:
        return [o for o in self.objections if not o.handled]


def _events(source: str | Iterable) -> list[TranscriptEvent]:
    if isinstance(source, str):
        return parse_call_text(source)
    return [parse_event(e) for e in source]


def debrief(source: str | Iterable | LiveAssist, kit: LiveKit | None = None) -> Debrief:
    """Debrief a call: events (dicts/TranscriptEvents), transcript text, or a LiveAssist that already ran."""
    if isinstance(source, LiveAssist):
        assist = source
    else:
        if kit is None:
            from coach.live.factory import default_kit

            kit = default_kit()
        assist = kit.new_call()
        for event in _events(source):
            assist.process(event)
    assist.finish()
    lang = assist.lang or "zh"
    times = [e.ts for e in assist.transcript if isinstance(e.ts, int | float)]
    return Debrief(
        lang=lang,
        utterances=len(assist.transcript),
        customer_utterances=sum(e.speaker == "customer" for e in assist.transcript),
        duration_s=round(max(times) - min(times), 1) if len(times) >= 2 else None,
        signals=key_signals(assist, lang),
        next_steps=next_steps(assist, lang),
        objections=objection_outcomes(assist, lang),
        success_cases=success_cases(assist, lang),
        mood=assist.mood.value,
        mood_warning=assist.mood.warning,
    )


def key_signals(assist: LiveAssist, lang: str, limit: int = KEY_SIGNALS) -> list[DebriefSignal]:
    """The first moment of each distinct signal, strongest kinds first (taxonomy order), at most ``limit``."""
    first: dict[str, SignalMoment] = {}
    for moment in assist.signal_moments:
        first.setdefault(moment.signal, moment)
    ordered = sorted(first.values(), key=lambda m: DECISION_SIGNALS.index(m.signal))[:limit]
    return [DebriefSignal(**m.model_dump(), label=signal_label(m.signal, lang))
            for m in sorted(ordered, key=lambda m: m.utterance)]


def next_steps(assist: LiveAssist, lang: str) -> list[DebriefSignal]:
    """Every moment the customer agreed to a next step (the key-signal list keeps only three kinds)."""
    return [DebriefSignal(**m.model_dump(), label=signal_label(m.signal, lang))
            for m in assist.signal_moments if m.signal == "next_step_agreed"]


def objection_outcomes(assist: LiveAssist, lang: str) -> list[DebriefObjection]:
    """Per objection the rep got a card for: its raises (the carded one and confident repeats inside the
    cooldown) and whether the rep's reply to the latest of them handled it."""
    grouped: dict[str, list] = {}
    for record in assist.objections:
        if record.card_id or record.repeat_of:
            grouped.setdefault(record.objection, []).append(record)
    out = []
    for name, records in grouped.items():
        book = assist.playbooks.get(name)
        last = records[-1]
        out.append(DebriefObjection(
            objection=name, title=book.title.get(lang) if book else name, text=records[0].text, times=len(records),
            handled=bool(last.handled), handled_times=sum(bool(r.handled) for r in records), reply=last.reply,
            card_ids=[r.card_id for r in records if r.card_id],
        ))
    return out


def success_cases(assist: LiveAssist, lang: str, limit: int = SUCCESS_CASES) -> list[Moment]:
    """Won-deal moments like this call's objections (most confident raise per type), or like its last lines."""
    best: dict[str, object] = {}
    for record in assist.objections:
        if not (record.card_id or record.repeat_of):
            continue  # like the objection list: only what the rep got a card for
        if record.objection not in best or record.confidence > best[record.objection].confidence:
            best[record.objection] = record
    queries = [(r.text, r.objection) for r in sorted(best.values(), key=lambda r: -r.confidence)]
    if not queries:
        customer = [e.text for e in assist.transcript if e.speaker == "customer"][-3:]
        queries = [(" ".join(customer), None)] if customer else []
    found: list[Moment] = []
    seen: set[str] = set()
    for text, objection in queries:
        for moment in assist.moments(text, objection, lang):
            if moment.deal_id not in seen:
                seen.add(moment.deal_id)
                found.append(moment)
    return found[:limit]
