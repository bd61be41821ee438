"""Live call assist: transcript events in, objection / keyword / signal / mood cards out, and the post-call debrief.

``default_kit().new_call()`` gives a :class:`LiveAssist` for one call; ``debrief(events)`` sums a call up.
"""

from coach.live.assist import LiveAssist, LiveConfig, ObjectionRecord, SignalMoment, ready_phrase
from coach.live.calls import parse_call_text, parse_transcript_text, read_call
from coach.live.debrief import Debrief, debrief
from coach.live.events import (
    ErrorHint,
    HintEvent,
    KeywordCard,
    LiveInputError,
    Moment,
    MoodHint,
    ObjectionCard,
    SignalHint,
    TranscriptEvent,
    parse_event,
)
from coach.live.factory import LiveKit, default_kit
from coach.live.handling import Verdict
from coach.live.keywords import KeywordBook, KeywordFileError, KeywordMatcher, load_keywords
from coach.live.tables import list_debriefs, save_debrief

__all__ = [
    "Debrief", "ErrorHint", "HintEvent", "KeywordBook", "KeywordCard", "KeywordFileError",
    "KeywordMatcher", "LiveAssist", "LiveConfig", "LiveInputError", "LiveKit", "Moment", "MoodHint", "ObjectionCard",
    "ObjectionRecord", "SignalHint", "SignalMoment", "TranscriptEvent", "Verdict", "debrief", "default_kit",
    "list_debriefs", "load_keywords", "parse_call_text", "parse_event", "parse_transcript_text", "read_call",
    "ready_phrase", "save_debrief",
]
