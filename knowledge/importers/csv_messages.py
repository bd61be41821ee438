"""Messages CSV: one row per turn (``conversation_id, timestamp, message, author``), grouped into deals.

An outcomes CSV beside it (``conversations.csv``, or ``<name>_outcomes.csv``; ``conversation_id`` and
``outcome``) supplies each deal's outcome. Other CSVs work through a column mapping
(``{"message": "text", "author": "role"}``, or ``--map message=text,author=role`` on the CLI).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from knowledge.importers.base import (
    Importer,
    ImportFileError,
    ImportIssue,
    ImportItem,
    detect_lang,
    guess_industry,
    map_outcome,
    map_speaker,
    parse_time,
    read_text,
    register_importer,
    validation_message,
)
from knowledge.importers.column_guess import guess_mapping
from knowledge.records import DealRecord, Turn

FIELDS = ("conversation_id", "timestamp", "message", "author")
REQUIRED = ("message", "author")
DEAL_FIELDS = ("outcome", "industry", "segment")


def parse_mapping(text: str | None) -> dict[str, str]:
    """'message=text,author=role' → {'message': 'text', 'author': 'role'}; names our field, then theirs."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ImportFileError(f"--map entry {part.strip()!r} should look like message=text (our field=your column)")
        if ours.strip() not in (*FIELDS, *DEAL_FIELDS):
            raise ImportFileError(
                f"--map field {ours.strip()!r} is not one of {', '.join((*FIELDS, *DEAL_FIELDS))}"
            )
        mapping[ours.strip()] = theirs.strip()
    return mapping


def _outcomes_beside(path: Path, options: dict) -> dict[str, dict[str, str]]:
    """conversation_id → the outcome row, from an outcomes CSV given or found beside the messages file."""
    given = options.get("outcomes")
    candidates = [Path(given)] if given else [path.with_name("conversations.csv"), path.with_name(f"{path.stem}_outcomes.csv")]
    for candidate in candidates:
        if candidate.exists() and candidate.resolve() != path.resolve():
            rows = csv.DictReader(io.StringIO(read_text(candidate)))
            id_col = options.get("mapping", {}).get("conversation_id", "conversation_id")
            if id_col not in (rows.fieldnames or []) or "outcome" not in (rows.fieldnames or []):
                if given:
                    raise ImportFileError(f"{candidate}: an outcomes CSV needs columns {id_col} and outcome")
                continue
            return {row[id_col]: row for row in rows if row.get(id_col)}
    return {}


class MessagesCsvImporter(Importer):
    """Turn-per-row CSV; ``options``: mapping, outcomes, industry, segment, lang."""

    name = "messages-csv"
    extensions = (".csv",)

    def sniff(self, path: Path, head: str) -> bool:
        header = head.splitlines()[0].lower() if head else ""
        return all(col in header for col in ("conversation_id", "message", "author"))

    def read(self, path: Path, options: dict | None = None) -> Iterator[ImportItem]:
        options = dict(options or {})
        reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
        columns = reader.fieldnames or []
        # header names are guessed in both languages (客户, 内容, 时间 …); an explicit mapping (--map) wins
        mapping = {f: f for f in (*FIELDS, *DEAL_FIELDS)} | guess_mapping(columns, options.get("mapping"))
        missing = [mapping[f] for f in REQUIRED if mapping[f] not in columns]
        if missing:
            raise ImportFileError(
                f"{path.name}: missing column(s) {', '.join(missing)} ({_describe_header(columns)}); "
                "the first line must be a header row naming the columns, or name yours with "
                "--map message=<column>,author=<column>"
            )
        outcomes = _outcomes_beside(path, options | {"mapping": mapping})
        deals: dict[str, dict] = {}
        cut: dict[str, int] = {}  # conversation → line of a row with columns missing (a file cut short)
        conv = path.stem
        start = reader.line_num + 1
        for row in _rows(reader):
            line, start = start, reader.line_num + 1
            if row is _UNREADABLE:  # the csv module gives up on the rest of the file: so do we, clearly
                cut.setdefault(conv, line)
                yield ImportIssue(file=path.name, line=line, message=f"the row cannot be read (a cell longer than "
                                  f"{csv.field_size_limit():,} characters, or a stray quote); the rest of the file "
                                  "was not read")
                break
            if None in row or any(row.get(c) is None for c in columns):
                got = len([v for k, v in row.items() if k is not None and v is not None])
                if got < len(columns):  # a cut-off row: the rest of its conversation is missing too
                    conv = (row.get(mapping["conversation_id"]) or "").strip() or conv
                    cut.setdefault(conv, line)
                yield ImportIssue(file=path.name, line=line, message=f"expected {len(columns)} columns, found "
                                  f"{got if got < len(columns) else 'more'}")
                continue
            conv = (row.get(mapping["conversation_id"]) or "").strip() or path.stem
            text = (row.get(mapping["message"]) or "").strip()
            speaker = map_speaker(row.get(mapping["author"]) or "")
            if not text:
                yield ImportIssue(file=path.name, line=line, message=f"column '{mapping['message']}' is empty")
                continue
            if speaker is None:
                yield ImportIssue(
                    file=path.name, line=line,
                    message=f"column '{mapping['author']}' is not a known role (use Agent/rep/销售 or Customer/客户)",
                )
                continue
            deal = deals.setdefault(conv, {"line": line, "turns": [], "row": row})
            deal["turns"].append(Turn(speaker=speaker, text=text, ts=parse_time(row.get(mapping["timestamp"]))))
        # One guess for the whole file: a file of calls is usually one line of business.
        file_industry = guess_industry(" ".join(t.text for d in deals.values() for t in d["turns"][:200]))
        for conv, deal in deals.items():
            if conv in cut:
                yield ImportIssue(file=path.name, line=deal["line"], message=(
                    f"conversation cut short (line {cut[conv]} is incomplete); the whole conversation was skipped "
                    "so a partial deal is not stored as a complete one: re-export the file"))
                continue
            yield self._record(path, conv, deal, outcomes.get(conv), mapping, {"file_industry": file_industry} | options)

    @staticmethod
    def _record(path: Path, conv: str, deal: dict, outcome_row: dict | None, mapping: dict, options: dict) -> ImportItem:
        row = deal["row"]

        def pick(field: str) -> str | None:
            value = options.get(field) or (outcome_row or {}).get(field) or row.get(mapping[field])
            return value.strip() if isinstance(value, str) and value.strip() else None

        text = " ".join(t.text for t in deal["turns"])
        fields = {
            "deal_id": conv,
            "turns": deal["turns"],
            "outcome": map_outcome(pick("outcome")),
            "industry": pick("industry") or options["file_industry"],
            "lang": options.get("lang") or detect_lang(text),
        }
        if pick("segment"):
            fields["segment"] = pick("segment")
        try:
            return deal["line"], DealRecord(**fields)
        except ValidationError as exc:
            return ImportIssue(file=path.name, line=deal["line"], message=validation_message(exc))


_UNREADABLE = object()


def _rows(reader: csv.DictReader):
    """The reader's rows, then ``_UNREADABLE`` once if the csv module raises (it cannot resume after that)."""
    try:
        yield from reader
    except csv.Error:
        yield _UNREADABLE


def _describe_header(columns: list[str]) -> str:
    """Name only the first line's cells that are column names we know: with no header row the first line is
    data (a name, a phone number), which must never reach a terminal or a log."""
    names = [c.strip() for c in columns]
    known = [c for c in names if c.lower() in _HEADER_WORDS]
    others = len(names) - len(known)
    if not known:
        return f"the first line has {len(names)} cell(s), none of them a column name this importer knows"
    return "found: " + ", ".join(known) + (f" and {others} other column(s)" if others else "")


_HEADER_WORDS = frozenset({
    "id", "time", "timestamp", "date", "message", "text", "content", "author", "role", "speaker", "conversation_id",
    "outcome", "industry", "segment", "deal", "deal_id", "call_id", "session_id",
    "会话", "会话id", "时间", "日期", "消息", "内容", "文本", "角色", "发言人", "结果", "行业",
})


register_importer("messages-csv")(MessagesCsvImporter)


@register_importer("csv")
class MappedCsvImporter(MessagesCsvImporter):
    """Any turn-per-row CSV, its columns named through ``options['mapping']``; never auto-detected."""

    name = "csv"

    def sniff(self, path: Path, head: str) -> bool:
        return False
