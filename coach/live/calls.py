"""Read a whole call from a file or pasted text: JSONL events, ``客户: …`` transcript lines, or a messages CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from coach.live.events import SPEAKER_ALIASES, LiveInputError, TranscriptEvent, parse_event

_LINE = re.compile(r"^\s*(?:\[(?P<ts>[\d:.]+)\]\s*)?(?P<who>[^:：]{1,12})\s*[:：]\s*(?P<text>.*)$")
_PREFIX_ALIASES = SPEAKER_ALIASES | {"销售代表": "rep", "顾问": "rep", "我": "rep", "坐席": "rep", "representative": "rep",
                                     "caller": "customer", "用户": "customer"}


def _clock(value: str | None) -> float | None:
    """'75' / '1:15' / '01:01:15' → seconds."""
    if not value:
        return None
    total = 0.0
    for part in value.split(":"):
        total = total * 60 + float(part)
    return total


def parse_transcript_text(text: str, source: str = "transcript") -> list[TranscriptEvent]:
    """``客户: …`` / ``销售: …`` / ``Customer: …`` / ``Rep: …`` lines (an optional ``[mm:ss]`` first) → events."""
    events: list[TranscriptEvent] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        speaker = _PREFIX_ALIASES.get(m.group("who").strip().lower()) if m else None
        if m is None or speaker is None:
            raise LiveInputError(f"{source} line {number}: start the line with who speaks, e.g. '客户: 太贵了' or "
                                 "'Rep: ...' (customer/客户 or rep/销售/agent)")
        if not m.group("text").strip():
            raise LiveInputError(f"{source} line {number}: nothing said after '{m.group('who')}:'")
        events.append(TranscriptEvent(speaker=speaker, text=m.group("text").strip(), ts=_clock(m.group("ts"))))
    return events


def parse_jsonl_events(text: str, source: str = "events") -> list[TranscriptEvent]:
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(parse_event(line))
        except LiveInputError as exc:
            raise LiveInputError(f"{source} line {number}: {exc}") from None
    return events


def parse_messages_csv(text: str, source: str = "messages.csv", conversation: str | None = None) \
        -> list[TranscriptEvent]:
    """The agentune ``messages.csv`` shape (conversation_id, timestamp, message, author) for one conversation."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    ids = list(dict.fromkeys(r.get("conversation_id", "") for r in rows))
    if conversation is None:
        if len(ids) > 1:
            raise LiveInputError(f"{source}: holds {len(ids)} conversations; pick one with --conversation "
                                 f"(first: {ids[0][:60]})")
        conversation = ids[0] if ids else ""
    elif conversation not in ids:
        raise LiveInputError(f"{source}: no conversation {conversation!r}")
    events = []
    for number, row in enumerate(rows, start=2):
        if row.get("conversation_id", "") != conversation or not (row.get("message") or "").strip():
            continue
        speaker = SPEAKER_ALIASES.get((row.get("author") or "").strip().lower())
        if speaker is None:
            raise LiveInputError(f"{source} line {number}: column 'author' is {row.get('author')!r}; "
                                 "use Agent or Customer")
        ts = (row.get("timestamp") or "").strip().replace(" ", "T") or None
        events.append(parse_event({"speaker": speaker, "text": row["message"], "ts": ts}))
    return events


def read_call(path: str | Path, conversation: str | None = None) -> list[TranscriptEvent]:
    """Every event of one call from a file; the format is recognised from its first line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; give a .jsonl of events, a transcript .txt or a messages .csv")
    text = path.read_text(encoding="utf-8-sig")
    return parse_call_text(text, str(path), conversation)


def parse_call_text(text: str, source: str = "call", conversation: str | None = None) -> list[TranscriptEvent]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return parse_jsonl_events(text, source)
    header = first.lower()
    if all(col in header for col in ("message", "author")) and "," in header:
        return parse_messages_csv(text, source, conversation)
    return parse_transcript_text(text, source)


def events_jsonl(events: list[TranscriptEvent]) -> str:
    return "\n".join(json.dumps(e.model_dump(), ensure_ascii=False) for e in events) + "\n"
