"""LiveAssist: the per-call processor that turns transcript events into hint cards.

One instance per call. Collaborators (objection detector, retrieval index, playbooks, keyword cards,
reply judge) are passed in, so tests use fakes and servers share the heavy ones across calls.
Partial utterances only get the cheap keyword check; final ones get detection, retrieval, signals, mood.
Signals and mood come from the same detection as the objection card (the understanding layer's one reading of
the line), so no cue list lives here.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from coach.live.events import (
    ErrorHint,
    LiveInputError,
    Moment,
    MoodHint,
    ObjectionCard,
    SignalHint,
    StepPhrase,
    TranscriptEvent,
    parse_event,
)
from coach.live.handling import ReplyJudge, Verdict, default_judge
from coach.live.keywords import KeywordMatcher
from coach.live.mood import MoodConfig, MoodRadar
from coach.live.nextstep import agreed_slot
from coach.live.signals import signal_label
from knowledge.detect import detect_lang
from knowledge.playbooks import Playbook
from knowledge.taxonomy import DECISION_SIGNALS, NO_OBJECTION

STEP_LABELS = {
    "zh": {"acknowledge": "认同", "clarify": "澄清", "evidence": "举证", "reframe": "重构价值",
           "validate": "邀请验证", "advance": "推进下一步"},
    "en": {"acknowledge": "Acknowledge", "clarify": "Clarify", "evidence": "Evidence", "reframe": "Reframe",
           "validate": "Validate", "advance": "Advance"},
}
# Exemplar replies carry slots like {industry}; on a live call we do not know them, so use neutral words.
SLOT_DEFAULTS = {
    "zh": {"industry": "同行业", "product": "我们的方案", "competitor": "对方", "customer": "您", "name": "您",
           "company": "贵公司", "city": "本地"},
    "en": {"industry": "similar", "product": "our solution", "competitor": "the other vendor", "customer": "you",
           "name": "you", "company": "your company", "city": "your area"},
}
_SLOT = re.compile(r"\{(\w+)\}")


class ObjectionDetector(Protocol):
    def detect(self, text: str, lang: str | None = None) -> Any:
        """Return an object with ``objection``, ``confidence`` and optionally ``lang``, ``signals``, ``cues``,
        ``sentiment`` and ``p_objection`` (a ``knowledge.detect.Detection`` has them all)."""


class SearchIndex(Protocol):
    def search(self, query: str, k: int = 5, filters: dict | None = None) -> list[Any]:
        """Return hits with ``deal_id``, ``text``, ``score`` and ``metadata`` (holding ``next_rep``)."""


@dataclass(frozen=True)
class LiveConfig:
    cooldown_seconds: float = 45.0  # the same card is not re-sent within this much call time...
    cooldown_utterances: int = 6  # ...nor within this many final utterances
    min_confidence: float = 0.4  # weaker detections are tracked but get no card
    moments: int = 3  # similar won-deal moments per objection card
    lang: str | None = None  # force the call language; default: from the first utterance
    keyword_speakers: tuple[str, ...] = ("customer",)
    mood: MoodConfig = field(default_factory=MoodConfig)


class ObjectionRecord(BaseModel):
    """One objection the customer raised and what became of it (for the debrief and the replay eval)."""

    objection: str
    confidence: float
    text: str
    utterance: int
    ts: float | None = None
    card_id: str | None = None  # set when a card was sent (not for cooldown repeats or weak detections)
    repeat_of: str | None = None  # a confident raise inside the cooldown: the card already on screen for it
    reply: str | None = None
    handled: bool | None = None  # None until the rep's next final reply
    score: float | None = None
    steps: list[str] = []


class SignalMoment(BaseModel):
    signal: str
    span: str
    text: str
    start: int = 0  # where ``span`` sits in ``text`` (the page highlights it)
    end: int = 0
    utterance: int
    ts: float | None = None


def fill_slots(text: str, lang: str) -> str:
    defaults = SLOT_DEFAULTS.get(lang, SLOT_DEFAULTS["en"])
    return _SLOT.sub(lambda m: defaults.get(m.group(1), ""), text)


def signal_spans(detection: Any, text: str) -> list[tuple[str, int, int]]:
    """(signal, start, end) per decision signal the detection decided, in taxonomy order.

    The span is the layer's cue phrase for that signal when it appears in ``text`` (evidence), else the whole line.
    """
    decided = set(getattr(detection, "signals", None) or [])
    cues = getattr(detection, "cues", None) or {}
    found = []
    for name in DECISION_SIGNALS:
        if name not in decided:
            continue
        start, end = 0, len(text)
        for phrase in cues.get(name) or []:
            phrase = str(phrase).strip()
            if not phrase:
                continue
            at = text.find(phrase)
            if at < 0 and len(text.lower()) == len(text):
                at = text.lower().find(phrase.lower())
            if at >= 0:
                start, end = at, at + len(phrase)
                break
        found.append((name, start, end))
    return found


def ready_phrase(book: Playbook, step_id: str, lang: str) -> str:
    """One sayable line for a step: the first exemplar without slots, else the first with slots filled."""
    step = book.step(step_id)
    if step is None:
        return ""
    exemplars = step.exemplars.get(lang)
    if not exemplars:
        return step.description.get(lang)
    plain = next((e for e in exemplars if not _SLOT.search(e)), None)
    return plain or fill_slots(exemplars[0], lang)


class LiveAssist:
    """Stateful hint processor for one call: ``process(event) -> list of hint events``."""

    def __init__(self, detector: ObjectionDetector, playbooks: dict[str, Playbook], index: SearchIndex | None = None,
                 keywords: KeywordMatcher | None = None, judge: ReplyJudge | None = None,
                 config: LiveConfig | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.detector = detector
        self.playbooks = playbooks
        self.index = index
        self.keywords = keywords or KeywordMatcher()
        self.judge = judge or default_judge(playbooks)
        self.config = config or LiveConfig()
        self.clock = clock
        self.mood = MoodRadar(self.config.mood)
        self.lang: str | None = self.config.lang
        self.turns = 0  # final utterances seen
        self.transcript: list[TranscriptEvent] = []
        self.objections: list[ObjectionRecord] = []
        self.signal_moments: list[SignalMoment] = []
        self.card_counts: dict[str, int] = {}
        self._pending: list[ObjectionRecord] = []
        self._reply: list[str] = []  # rep lines since the oldest pending objection
        self._last_sent: dict[tuple[str, str], tuple[int, float | None]] = {}
        self._iso_start: float | None = None
        self._last_mood: MoodHint | None = None
        self._last_rep: str | None = None  # the rep's last final line (a slot they proposed, for next steps)
        self._carded: dict[str, str] = {}  # objection -> id of the last card sent for it

    # -- input ---------------------------------------------------------------------------------------

    def process_raw(self, raw: str | bytes | dict, line: int | None = None) -> list[BaseModel]:
        """Parse then process; malformed input or a failing collaborator gives an error event, never a raise."""
        started = self.clock()
        try:
            event = parse_event(raw)
        except LiveInputError as exc:
            where = f"line {line}: " if line is not None else ""
            return [ErrorHint(message=f"{where}{exc}", line=line, utterance=self.turns,
                              latency_ms=self._ms(started))]
        try:
            return self.process(event)
        except Exception as exc:  # a stream must outlive one bad event; say what failed
            return [ErrorHint(message=f"could not process this event ({type(exc).__name__}: {exc}); "
                                      "the stream goes on", line=line, utterance=self.turns,
                              latency_ms=self._ms(started))]

    def process(self, event: TranscriptEvent | dict) -> list[BaseModel]:
        """Hints for one transcript event, each stamped with its processing latency in ms."""
        started = self.clock()
        event = parse_event(event)
        seconds = self._call_seconds(event)
        text = event.text.strip()
        if self.lang is None and sum(ch.isalpha() for ch in text) >= 2:
            self.lang = detect_lang(text)
        lang = self.lang or detect_lang(text)
        if not event.final:
            if event.speaker not in self.config.keyword_speakers:
                return []
            return self._keyword_cards(text, lang, self.turns + 1, seconds, started, commit=True)
        self.turns += 1
        self.transcript.append(event.model_copy(update={"text": text, "ts": seconds}))
        if event.speaker == "rep":
            self._last_rep = text
            if self._pending:
                self._reply.append(text)
                self._judge_reply(lang)  # judged now, while the rep talks, so no customer line waits for it
            return []
        self._close_reply()  # the customer speaks again: the rep's turn in between was the reply
        out: list[BaseModel] = []
        detection = self.detector.detect(text, lang)
        card = self._objection(detection, text, lang, seconds, started)
        if card is not None:
            out.append(card)
        if "customer" in self.config.keyword_speakers:
            out.extend(self._keyword_cards(text, lang, self.turns, seconds, started, commit=True))
        out.extend(self._signal_hints(detection, text, lang, seconds, started))
        mood = self._mood(text, seconds, started, detection)
        if mood is not None:
            out.append(mood)
        for hint in out:
            self.card_counts[hint.type] = self.card_counts.get(hint.type, 0) + 1
        return out

    def finish(self) -> None:
        """The call ended: objections the rep never answered count as not handled."""
        for record in self._pending:
            if record.reply is None:
                record.handled = False
        self._close_reply()

    # -- pieces --------------------------------------------------------------------------------------

    def _ms(self, started: float) -> float:
        return round((self.clock() - started) * 1000.0, 2)

    def _call_seconds(self, event: TranscriptEvent) -> float | None:
        """Numbers are seconds from call start already; ISO times count from the first ISO time seen."""
        if event.ts is None:
            return None
        if isinstance(event.ts, int | float):
            return float(event.ts)
        value = event.seconds()
        if isinstance(event.ts, str) and not _looks_numeric(event.ts):
            if self._iso_start is None:
                self._iso_start = value
            return round(value - self._iso_start, 3)
        return value

    def _cooling(self, key: tuple[str, str], seconds: float | None) -> bool:
        last = self._last_sent.get(key)
        if last is None:
            return False
        turn, when = last
        if self.turns - turn < self.config.cooldown_utterances:
            return True
        return when is not None and seconds is not None and seconds - when < self.config.cooldown_seconds

    def _sent(self, key: tuple[str, str], seconds: float | None) -> None:
        self._last_sent[key] = (self.turns, seconds)

    def _objection(self, detection, text: str, lang: str, seconds: float | None, started: float):
        objection = getattr(detection, "objection", NO_OBJECTION)
        if objection == NO_OBJECTION or objection not in self.playbooks:
            return None
        confidence = float(getattr(detection, "confidence", 0.0))
        record = ObjectionRecord(objection=objection, confidence=confidence, text=text, utterance=self.turns,
                                 ts=seconds)
        self.objections.append(record)
        self._pending.append(record)
        key = ("objection", objection)
        if confidence < self._card_bar(getattr(detection, "p_objection", None)):
            return None
        if self._cooling(key, seconds):
            record.repeat_of = self._carded.get(objection)
            return None
        self._sent(key, seconds)
        record.card_id = self._carded[objection] = uuid.uuid4().hex[:12]
        book = self.playbooks[objection]
        steps = [StepPhrase(step=s.id, label=STEP_LABELS.get(lang, STEP_LABELS["en"]).get(s.id, s.id),
                            phrase=ready_phrase(book, s.id, lang)) for s in book.steps]
        return ObjectionCard(card_id=record.card_id, objection=objection, title=book.title.get(lang),
                             confidence=round(confidence, 3), lang=lang, text=text, steps=steps,
                             moments=self.moments(text, objection, lang), utterance=self.turns, ts=seconds,
                             latency_ms=self._ms(started))

    def _card_bar(self, p_objection: float | None) -> float:
        """``min_confidence`` was set on uncalibrated probabilities; a detector whose readings are calibrated
        for real conversations (lower) maps it onto its own scale, so calibration alone shows no fewer cards."""
        on_scale = getattr(self.detector, "on_real_scale", None)
        if on_scale is None or p_objection is None:
            return self.config.min_confidence
        return float(on_scale(self.config.min_confidence, p_objection))

    def moments(self, text: str, objection: str | None, lang: str) -> list[Moment]:
        """Customer lines from won deals most like ``text``, with what the rep said next (one per deal)."""
        if self.index is None or self.config.moments <= 0:
            return []
        base = {"speaker": "customer", "outcome": "won"}
        attempts = []
        if objection:
            attempts += [base | {"objection": objection, "lang": lang}, base | {"objection": objection}]
        attempts.append(base | {"lang": lang})
        found: list[Moment] = []
        seen: set[str] = set()
        known = getattr(self.detector, "search_vector", None)  # the twin engine made it beside the detection
        index_model = getattr(getattr(self.index, "embedder", None), "name", None)
        vector = known(text, index_model) if known is not None and index_model else None
        extra = {} if vector is None else {"vector": vector}
        for filters in attempts:
            for hit in self.index.search(text, k=self.config.moments * 2, filters=filters, **extra):
                meta = getattr(hit, "metadata", {}) or {}
                if hit.deal_id in seen or not meta.get("next_rep"):
                    continue
                seen.add(hit.deal_id)
                found.append(Moment(deal_id=hit.deal_id, text=hit.text, next_rep=str(meta.get("next_rep", "")),
                                    industry=str(meta.get("industry", "")), score=round(float(hit.score), 4)))
                if len(found) >= self.config.moments:
                    return found
        return found

    def _keyword_cards(self, text: str, lang: str, turn: int, seconds: float | None, started: float,
                       commit: bool) -> list[BaseModel]:
        cards = []
        for spec, match in self.keywords.match(text):
            key = ("keyword", spec.id)
            if self._cooling(key, seconds):
                continue
            if commit:
                self._sent(key, seconds)
            card = self.keywords.card(spec, match, text, lang)
            card.utterance, card.ts, card.latency_ms = turn, seconds, self._ms(started)
            cards.append(card)
        return cards

    def _signal_hints(self, detection, text: str, lang: str, seconds: float | None,
                      started: float) -> list[BaseModel]:
        hints = []
        spans = signal_spans(detection, text)
        if "next_step_agreed" not in {name for name, _, _ in spans} and (
                slot := agreed_slot(text, detection, self._last_rep)) is not None:
            spans = sorted([*spans, ("next_step_agreed", *slot)], key=lambda s: DECISION_SIGNALS.index(s[0]))
        self._last_rep = None
        for name, start, end in spans:
            self.signal_moments.append(SignalMoment(signal=name, span=text[start:end], text=text, start=start, end=end,
                                                    utterance=self.turns, ts=seconds))
            key = ("signal", name)
            if self._cooling(key, seconds):
                continue
            self._sent(key, seconds)
            hints.append(SignalHint(signal=name, label=signal_label(name, lang), span=text[start:end], start=start,
                                    end=end, text=text, utterance=self.turns, ts=seconds,
                                    latency_ms=self._ms(started)))
        return hints

    def _mood(self, text: str, seconds: float | None, started: float, reading=None) -> MoodHint | None:
        value = self.mood.add(text, seconds, reading=reading)
        last = self._last_mood
        # A steady radar is not news; a move of min_change or a flip into or out of the warning always is. No
        # cooldown here: the radar is a gauge, and a cooled-down gauge froze at its first reading for a whole call.
        if last is not None and last.warning == self.mood.warning and abs(value - last.value) < \
                self.config.mood.min_change:
            return None
        self._last_mood = MoodHint(value=value, warning=self.mood.warning, parts=dict(self.mood.parts),
                                   utterance=self.turns, ts=seconds, latency_ms=self._ms(started))
        return self._last_mood

    def _judge_reply(self, lang: str) -> None:
        """Judge pending objections on everything the rep said since (calls split a reply into many lines).

        Runs on each rep line, re-judging the growing reply, so the verdict is ready before the customer's next
        line; grading a reply costs an embedding, and a customer line's hints must not wait for it.
        """
        reply = " ".join(self._reply)
        for record in self._pending:
            verdict: Verdict = self.judge(record.text, reply, record.objection, lang)
            record.reply, record.handled, record.score, record.steps = reply, verdict.handled, verdict.score, \
                verdict.steps

    def _close_reply(self) -> None:
        """The rep's turn is over: pending objections keep the verdict their reply got."""
        if self._reply:
            self._pending = []
        self._reply = []


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
