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
        mapping = {f: f for f in (*FIELDS, *DEAL_FIELDS)} | options.get("mapping", {})
        reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
        columns = reader.fieldnames or []
        missing = [mapping[f] for f in REQUIRED if mapping[f] not in columns]
        if missing:
            raise ImportFileError(
                f"{path.name}: missing column(s) {', '.join(missing)} (found: {', '.join(columns) or 'none'}); "
                "name yours with --map message=<column>,author=<column>"
            )
        outcomes = _outcomes_beside(path, options | {"mapping": mapping})
        deals: dict[str, dict] = {}
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if None in row or any(row.get(c) is None for c in columns):
                yield ImportIssue(file=path.name, line=line, message=f"expected {len(columns)} columns")
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


register_importer("messages-csv")(MessagesCsvImporter)


@register_importer("csv")
class MappedCsvImporter(MessagesCsvImporter):
    """Any turn-per-row CSV, its columns named through ``options['mapping']``; never auto-detected."""

    name = "csv"

    def sniff(self, path: Path, head: str) -> bool:
        return False
