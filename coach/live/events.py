"""The wire format of live assist: transcript events in, hint events out (one JSON object each).

Everything here is pydantic so the CLI, the HTTP stream, the WebSocket and the Live page all
serialise the same shapes; ``docs/live-api.md`` documents them for dialer integrations.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

SPEAKER_ALIASES = {
    "customer": "customer", "client": "customer", "客户": "customer", "buyer": "customer",
    "rep": "rep", "agent": "rep", "sales": "rep", "销售": "rep", "seller": "rep",
}


class LiveInputError(ValueError):
    """A transcript event that cannot be used; the message names the field and what to send instead."""


class TranscriptEvent(BaseModel):
    """One utterance of the call as a dialer or speech-to-text sends it (partial ones have ``final=False``)."""

    model_config = ConfigDict(extra="ignore")

    speaker: Literal["customer", "rep"]
    text: str
    ts: float | str | None = None  # seconds from call start, or an ISO time
    final: bool = True

    @field_validator("speaker", mode="before")
    @classmethod
    def _alias(cls, value):
        if isinstance(value, str):
            return SPEAKER_ALIASES.get(value.strip().lower(), value)
        return value

    @field_validator("ts")
    @classmethod
    def _time(cls, value):
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                try:
                    datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                except ValueError:
                    raise ValueError("give seconds from call start (e.g. 12.5) or an ISO time") from None
        return value

    def seconds(self) -> float | None:
        """``ts`` as seconds: numbers as given, ISO times as a POSIX timestamp (callers subtract the start)."""
        if self.ts is None:
            return None
        if isinstance(self.ts, int | float):
            return float(self.ts)
        try:
            return float(self.ts)
        except ValueError:
            moment = datetime.fromisoformat(self.ts.strip().replace("Z", "+00:00"))
            return moment.timestamp()


class _Hint(BaseModel):
    latency_ms: float = 0.0  # processing time of the input event up to this hint
    utterance: int = 0  # 1-based index of the input event in the call
    ts: float | None = None  # call time in seconds from the first timestamped event


class StepPhrase(BaseModel):
    step: str
    label: str
    phrase: str


class Moment(BaseModel):
    """A similar customer line from a won deal and what the rep said next there."""

    deal_id: str
    text: str
    next_rep: str = ""
    industry: str = ""
    score: float = 0.0


class ObjectionCard(_Hint):
    type: Literal["objection_card"] = "objection_card"
    card_id: str
    objection: str
    title: str
    confidence: float
    lang: str
    text: str
    steps: list[StepPhrase] = Field(default_factory=list)
    moments: list[Moment] = Field(default_factory=list)


class CardField(BaseModel):
    id: str
    label: str
    value: str = ""  # pre-filled from the utterance when the field says how (date, money)


class KeywordCard(_Hint):
    type: Literal["keyword_card"] = "keyword_card"
    keyword_id: str
    keyword: str  # the text that matched
    title: str
    lang: str
    text: str
    fields: list[CardField] = Field(default_factory=list)


class SignalHint(_Hint):
    type: Literal["signal"] = "signal"
    signal: str
    label: str
    span: str
    start: int
    end: int
    text: str


class MoodHint(_Hint):
    type: Literal["mood"] = "mood"
    value: float = Field(ge=0.0, le=1.0)
    warning: bool
    parts: dict[str, float] = Field(default_factory=dict)  # each factor's penalty (or bonus), for the radar


class ErrorHint(_Hint):
    type: Literal["error"] = "error"
    message: str
    line: int | None = None


HintEvent = Annotated[ObjectionCard | KeywordCard | SignalHint | MoodHint | ErrorHint, Field(discriminator="type")]
HINT_ADAPTER: TypeAdapter = TypeAdapter(HintEvent)


def parse_event(raw: str | bytes | dict | TranscriptEvent) -> TranscriptEvent:
    """A JSON line, dict or event → TranscriptEvent; raises LiveInputError naming the bad field."""
    if isinstance(raw, TranscriptEvent):
        return raw
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise LiveInputError(f"not valid JSON ({exc.msg} at column {exc.colno}); send one JSON object per line "
                                 'like {"speaker": "customer", "text": "太贵了", "ts": 3.2}') from None
        except RecursionError:  # [[[[...]]]] from a hostile client: one error event, not a dead stream
            raise LiveInputError("JSON nested too deeply; send one flat JSON object per line") from None
    if not isinstance(raw, dict):
        raise LiveInputError(f"expected a JSON object, got {type(raw).__name__}; "
                             'send {"speaker": "customer"|"rep", "text": "...", "ts": 0}')
    try:
        event = TranscriptEvent.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(event)"
        hint = " (use 'customer' or 'rep')" if field == "speaker" else ""
        raise LiveInputError(f"field '{field}': {err['msg']}{hint}") from None
    if not event.text.strip():
        raise LiveInputError("field 'text': is empty; send the words that were said")
    return event


def hint_json(event: BaseModel) -> str:
    """One hint as a compact JSON line (Chinese kept readable)."""
    return event.model_dump_json()
