"""Ingest: parse → anonymize → tag → store → index, in batches, safe to re-run and resumable.

Nothing un-anonymized is stored, indexed or logged: records are anonymized before they touch the
database or the index, bad-row messages never quote content, and the only trace of the raw record is
its one-way content hash (so the same record is skipped next time without anonymizing it again).
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field
from sqlmodel import select

from knowledge.db import apply_migrations, get_engine, session
from knowledge.importers import ImportFileError, ImportIssue, detect_format, is_outcomes_csv, iter_file
from knowledge.records import DealRecord
from knowledge.settings import SetupError
from knowledge.tables import MIGRATIONS, DealRow, IngestRun
from knowledge.taxonomy import DECISION_SIGNALS, OBJECTION_TYPES

Step = Callable[[DealRecord], DealRecord]
def _now() -> datetime:
    # sqlmodel's datetime columns reject naive values, so stamps carry their timezone (UTC).
    return datetime.now(UTC)


SUPPORTED_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".xlsx", ".xlsm", ".txt", ".chat")


class IngestReport(BaseModel):
    """What one ingest did; ``bad_rows`` entries read ``file:line: problem``."""

    source: str
    formats: list[str] = Field(default_factory=list)
    read: int = 0
    new: int = 0
    updated: int = 0
    skipped_duplicates: int = 0
    bad_rows: list[str] = Field(default_factory=list)
    turns: int = 0
    seconds: float = 0.0
    warnings: list[str] = Field(default_factory=list)


def default_anonymizer() -> Step:
    """The project's anonymizer; its absence is a setup error, never a silent pass-through."""
    try:
        from knowledge.anonymize import get_anonymizer
    except ImportError as exc:
        raise SetupError(
            "knowledge.anonymize is not available, so deals cannot be anonymized; nothing was ingested "
            "(reinstall the package with `make setup`)"
        ) from exc
    return get_anonymizer().anonymize_deal


def _ids(result, allowed: Sequence[str]) -> list[str]:
    """Normalise whatever a detector returns (id, list, object with ids, (id, score) pairs) to taxonomy ids."""
    if result is None:
        return []
    if isinstance(result, str):
        return [result] if result in allowed else []
    if isinstance(result, dict):
        return [k for k in result if k in allowed]
    for attr in ("objections", "signals", "types", "ids", "type", "id", "label"):
        if hasattr(result, attr) and not isinstance(result, list | tuple | set):
            return _ids(getattr(result, attr), allowed)
    if isinstance(result, list | tuple | set):
        out: list[str] = []
        for item in result:
            item = item[0] if isinstance(item, tuple) and item and isinstance(item[0], str) else item
            out.extend(i for i in _ids(item, allowed) if i not in out)
        return out
    return []


def _call(fn: Callable, text: str, lang: str):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    return fn(text, lang=lang) if "lang" in params else fn(text)


def make_tagger(detect_objection: Callable, detect_signals: Callable, detect_many: Callable | None = None) -> Step:
    """A tagger from the detectors: labels customer turns, unless the record already carries labels.

    ``detect_many(texts, lang=...)`` (when given) tags all of a deal's customer turns in one batch.
    """

    def tag(record: DealRecord) -> DealRecord:
        if any(t.objections or t.signals for t in record.turns):
            return record  # labelled at the source (e.g. the curated sample): trust it
        customer = [i for i, t in enumerate(record.turns) if t.speaker == "customer"]
        texts = [record.turns[i].text for i in customer]
        if detect_many is not None:
            found = detect_many(texts, lang=record.lang) if texts else []
        else:
            found = [_call(detect_objection, text, record.lang) for text in texts]
        turns = list(record.turns)
        for i, result in zip(customer, found, strict=True):
            turns[i] = turns[i].model_copy(update={
                "objections": _ids(result, OBJECTION_TYPES),
                "signals": _ids(result.signals if hasattr(result, "signals")  # read in the same batch
                                else _call(detect_signals, turns[i].text, record.lang), DECISION_SIGNALS),
            })
        return record.model_copy(update={"turns": turns})

    return tag


def default_tagger() -> Step | None:
    try:
        from knowledge import detect
    except ImportError:
        return None
    return make_tagger(detect.detect_objection, detect.detect_signals, getattr(detect, "detect_many", None))


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        return [p for p in files if not is_outcomes_csv(p)]
    raise ImportFileError(f"{path}: no such file or folder")


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_path(path, fmt: str | None = None, *, anonymize: Step | None = None, tag: Step | None = None,
                index=None, progress: bool = True, options: dict | None = None,
                batch_size: int = 64) -> IngestReport:
    """Ingest a file (or every supported file in a folder) and return counts.

    ``anonymize``/``tag``/``index`` default to the project's anonymizer, detectors and shared index;
    tests pass their own. Re-running adds nothing; after an interruption it picks up where it stopped.
    """
    started = time.perf_counter()
    path = Path(path)
    files = _files(path)
    report = IngestReport(source=path.name)
    anonymize = anonymize or default_anonymizer()
    if tag is None:
        tag = default_tagger()
        if tag is None:
            report.warnings.append("knowledge.detect is not available: turns were stored without objection tags")
    if index is None:
        from knowledge.index import get_index

        index = get_index()
    apply_migrations(get_engine(), MIGRATIONS)
    from tqdm import tqdm

    bar = tqdm(desc=f"ingest {path.name}", unit="deal", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    try:
        for file in files:
            name = fmt or detect_format(file)
            report.formats.append(name)
            _ingest_file(file, name, options or {}, anonymize, tag, index, report, bar, batch_size)
    finally:
        bar.close()
        index.flush()
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _ingest_file(file: Path, fmt: str, options: dict, anonymize: Step, tag: Step | None, index,
                 report: IngestReport, bar, batch_size: int) -> None:
    # File names often name the customer, so only a hash of the path is stored (resume needs no more).
    source, file_hash = hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:16], _file_hash(file)
    with session() as s:
        run = s.exec(select(IngestRun).where(IngestRun.source == source, IngestRun.file_hash == file_hash,
                                             IngestRun.status == "running")).first()
        if run is None:
            run = IngestRun(source=source, file_hash=file_hash, started_at=_now())
            s.add(run)
            s.commit()
            s.refresh(run)
    if run.records_done:
        bar.set_postfix_str(f"resuming after {run.records_done} deals")
    records = _records(file, fmt, options, report)
    position = 0
    for batch in _batches(records, batch_size):
        _ingest_batch(batch, f"{fmt}:{source}", anonymize, tag, index, report)
        bar.update(len(batch))
        position += len(batch)
        with session() as s:
            run = s.get(IngestRun, run.id)
            run.records_done = max(run.records_done, position)
            s.add(run)
            s.commit()
    with session() as s:
        run = s.get(IngestRun, run.id)
        run.status, run.finished_at = "done", _now()
        s.add(run)
        s.commit()


def _records(file: Path, fmt: str, options: dict, report: IngestReport) -> Iterator[DealRecord]:
    for item in iter_file(file, fmt, options):
        if isinstance(item, ImportIssue):
            report.bad_rows.append(str(item))
            continue
        report.read += 1
        yield item[1]


def _stored_id(deal_id: str) -> str:
    try:
        from knowledge.anonymize.ids import safe_deal_id
    except ImportError:  # pragma: no cover - the anonymizer's absence is reported by default_anonymizer
        return deal_id
    return safe_deal_id(deal_id)


def _ingest_batch(batch: list[DealRecord], source: str, anonymize: Step, tag: Step | None, index,
                  report: IngestReport) -> None:
    raw_hashes = [r.content_hash() for r in batch]
    # A deal id holding personal data is stored as its keyed hash: look under that too, so a re-run skips the
    # deal without anonymizing it again.
    stored_as = {r.deal_id: _stored_id(r.deal_id) for r in batch}
    with session() as s:
        rows = s.exec(select(DealRow.deal_id, DealRow.content_hash)
                      .where(DealRow.deal_id.in_({*stored_as, *stored_as.values()}))).all()
    stored = dict(rows)
    todo = []
    for record, raw_hash in zip(batch, raw_hashes, strict=True):
        if raw_hash in (stored.get(record.deal_id), stored.get(stored_as[record.deal_id])):
            report.skipped_duplicates += 1  # cheap: same id, same content, nothing to anonymize again
            continue
        clean = anonymize(record)
        if tag is not None:
            clean = tag(clean)
        todo.append((clean, raw_hash))
        stored[record.deal_id] = raw_hash  # the same deal twice in one batch counts once
    if not todo:
        return
    # Anonymizers may rename ids: check the stored side again under the ids we will actually write.
    with session() as s:
        rows = s.exec(select(DealRow.deal_id, DealRow.content_hash)
                      .where(DealRow.deal_id.in_([c.deal_id for c, _ in todo]))).all()
    stored = dict(rows)
    fresh = []
    for clean, raw_hash in todo:
        if stored.get(clean.deal_id) == raw_hash:
            report.skipped_duplicates += 1
        else:
            fresh.append((clean, raw_hash))
    # Index first, then store: a stored deal is always an indexed deal, and re-indexing is an upsert. The journal
    # (on the shared index) records each step, so a crash in between is found and repaired on the next open.
    journal = getattr(index, "journal", None)
    batch = journal.begin([c.deal_id for c, _ in fresh]) if journal is not None else None
    index.add_records([c for c, _ in fresh])
    if batch is not None:
        journal.step(batch, "indexed")
    with session() as s:
        for clean, raw_hash in fresh:
            existing = s.get(DealRow, clean.deal_id)
            row = existing or DealRow(deal_id=clean.deal_id, content_hash=raw_hash, record_json="", created_at=_now())
            row.content_hash, row.source, row.record_json = raw_hash, source, clean.model_dump_json()
            row.created_at = _now()  # "stored at": readers that cache the table key on its newest write
            row.lang, row.industry, row.segment, row.outcome = clean.lang, clean.industry, clean.segment, clean.outcome
            s.add(row)
            if existing:
                report.updated += 1
            else:
                report.new += 1
            report.turns += len(clean.turns)
        s.commit()
    if batch is not None:
        journal.step(batch, "stored")
