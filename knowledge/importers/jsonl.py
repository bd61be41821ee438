"""JSONL of the DealRecord schema, one deal per line (the bundled sample corpus uses this)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from knowledge.importers.base import (
    Importer,
    ImportIssue,
    ImportItem,
    detect_lang,
    read_text,
    register_importer,
    validation_message,
)
from knowledge.records import DealRecord


@register_importer("jsonl")
class JsonlImporter(Importer):
    name = "jsonl"
    extensions = (".jsonl", ".ndjson")

    def sniff(self, path: Path, head: str) -> bool:
        first = head.lstrip()
        return first.startswith("{") and '"turns"' in head

    def read(self, path: Path, options: dict | None = None) -> Iterator[ImportItem]:
        for number, line in enumerate(read_text(path).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ImportIssue(file=path.name, line=number, message=f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:  # hostile nesting ([[[[...]]]]) must cost one bad row, not the import
                yield ImportIssue(file=path.name, line=number, message="JSON nested too deeply; one deal per line")
                continue
            if not isinstance(data, dict):
                yield ImportIssue(file=path.name, line=number, message="expected a JSON object (one deal per line)")
                continue
            try:
                record = DealRecord.model_validate(data)
            except ValidationError as exc:
                yield ImportIssue(file=path.name, line=number, message=validation_message(exc))
                continue
            if "lang" not in data:
                record.lang = detect_lang(" ".join(t.text for t in record.turns))
            yield number, record
