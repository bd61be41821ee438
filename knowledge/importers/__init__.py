"""Importers: read deal records from the files teams really have (JSONL, messages CSV, Excel, chat exports).

Each importer is registered by format name; :func:`detect_format` picks one from the file's extension
and first few KB, and ``fmt`` overrides it. Importers yield ``(line, DealRecord)`` or an
:class:`ImportIssue` for a bad row, so one bad row never stops a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from knowledge.importers import chat, csv_messages, jsonl, xlsx  # noqa: F401 - registers the importers
from knowledge.importers.base import (
    Importer,
    ImportFileError,
    ImportIssue,
    ImportItem,
    detect_lang,
    get_importer,
    importer_names,
    map_outcome,
    map_speaker,
    read_text,
    register_importer,
)
from knowledge.importers.csv_messages import parse_mapping

__all__ = [
    "ImportFileError", "ImportIssue", "ImportItem", "Importer", "detect_format", "detect_lang", "get_importer",
    "importer_names", "iter_file", "map_outcome", "map_speaker", "parse_mapping", "read_text",
    "register_importer", "is_outcomes_csv",
]

_SNIFF_ORDER = ("jsonl", "messages-csv", "chat")


def is_outcomes_csv(path: Path) -> bool:
    """A per-conversation outcomes table (read beside a messages CSV, not ingested on its own)."""
    if path.suffix.lower() != ".csv":
        return False
    header = read_text(path).partition("\n")[0].lower()
    return "outcome" in header and "message" not in header


def detect_format(path: Path) -> str:
    """The importer name for a file: by extension, then by sniffing its content; a clear error otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    head = read_text(path)[:8192] if suffix not in (".xls",) else ""
    for name in _SNIFF_ORDER:
        importer = get_importer(name)
        if suffix in importer.extensions and importer.sniff(path, head):
            return name
    for name in _SNIFF_ORDER:
        if get_importer(name).sniff(path, head):
            return name
    by_suffix = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    raise ImportFileError(
        f"{path}: cannot tell its format; pass --format (one of: {', '.join(importer_names())})"
    )


def iter_file(path: Path, fmt: str | None = None, options: dict | None = None) -> Iterator[ImportItem]:
    """Read one file with the named (or detected) importer."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    return get_importer(fmt or detect_format(path)).read(path, options)
