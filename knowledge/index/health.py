"""Index health: compare the database, the keyword store and the vector store, and repair them from the database.

The database is the truth (every stored deal, anonymized); both indexes are derived from it. Three things can
break them: a crash mid-batch (the journal says so), a vector folder that no longer loads (a kill -9 during a
Chroma write, a disk error) and a folder someone deleted. :func:`recover_on_open` runs when the shared index is
first opened and repairs what it finds with a progress bar; `coach doctor` runs the same checks on demand.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from knowledge.health import CheckResult, register_check
from knowledge.index.docs import turn_docs
from knowledge.index.journal import Batch, IndexJournal
from knowledge.index.probe import probe_chroma
from knowledge.records import DealRecord

log = logging.getLogger("coach.index")
EMBED_CHUNK = 256
DEAL_CHUNK = 500


@dataclass
class StoreCounts:
    """Per-store turn counts and the doc ids each index lacks or holds beyond the database."""

    deals: int = 0
    db_turns: int = 0
    keyword_turns: int = 0
    vector_turns: int = 0
    missing_keywords: set[str] = field(default_factory=set)
    extra_keywords: set[str] = field(default_factory=set)
    missing_vectors: set[str] = field(default_factory=set)
    extra_vectors: set[str] = field(default_factory=set)

    @property
    def consistent(self) -> bool:
        return not (self.missing_keywords or self.extra_keywords or self.missing_vectors or self.extra_vectors)

    def summary(self) -> str:
        line = (f"database {self.deals:,} deals / {self.db_turns:,} turns, keyword store {self.keyword_turns:,}, "
                f"vector store {self.vector_turns:,}")
        gaps = [f"{len(ids):,} {what}" for ids, what in (
            (self.missing_keywords, "turns missing from the keyword store"),
            (self.extra_keywords, "keyword-store turns not in the database"),
            (self.missing_vectors, "turns without a vector"),
            (self.extra_vectors, "vectors not in the database")) if ids]
        return line + (f" ({'; '.join(gaps)})" if gaps else "")


def _deal_turns() -> dict[str, int]:
    """deal id → number of turns, for every stored deal."""
    from sqlalchemy import inspect
    from sqlmodel import select

    from knowledge.db import get_engine, session
    from knowledge.tables import DealRow

    if not inspect(get_engine()).has_table("deals"):
        return {}
    try:
        from orjson import loads
    except ImportError:  # pragma: no cover
        from json import loads
    with session() as s:
        return {deal_id: len(loads(raw).get("turns") or []) for deal_id, raw in
                s.exec(select(DealRow.deal_id, DealRow.record_json)).all()}


def _records(deal_ids: Iterable[str]) -> Iterable[DealRecord]:
    from sqlmodel import select

    from knowledge.db import session
    from knowledge.tables import DealRow

    ids = sorted(set(deal_ids))
    for start in range(0, len(ids), DEAL_CHUNK):
        with session() as s:
            rows = s.exec(select(DealRow.record_json).where(DealRow.deal_id.in_(ids[start:start + DEAL_CHUNK]))).all()
        yield from (DealRecord.model_validate_json(raw) for raw in rows)


def compare(index) -> StoreCounts:
    """Turn ids the database implies against those each store holds (reads every id: seconds at 10^5 deals)."""
    turns = _deal_turns()
    expected = {f"{deal}#{i}" for deal, n in turns.items() for i in range(n)}
    keywords = index.bm25.doc_ids()
    vectors = index.store.ids()
    return StoreCounts(
        deals=len(turns), db_turns=len(expected), keyword_turns=len(keywords), vector_turns=len(vectors),
        missing_keywords=expected - keywords, extra_keywords=keywords - expected,
        missing_vectors=expected - vectors, extra_vectors=vectors - expected,
    )


def repair(index, counts: StoreCounts, progress: bool = True) -> None:
    """Make both stores hold exactly the database's turns: drop extras, re-add what is missing (re-embedding only
    the turns without a vector, texts taken from the database), with a progress bar over the turns written."""
    from tqdm import tqdm

    if counts.extra_vectors:
        index.store.delete(sorted(counts.extra_vectors))
    if counts.extra_keywords:
        index.bm25.delete(sorted(counts.extra_keywords))
    need = counts.missing_vectors | counts.missing_keywords
    if need:
        deals = {doc_id.rsplit("#", 1)[0] for doc_id in need}
        bar = tqdm(total=len(need), desc="repair index", unit="turn", file=sys.stderr, disable=not progress,
                   dynamic_ncols=True)
        vec: list = []
        kw: list = []

        def flush(final: bool = False) -> None:
            # Chroma pays per upsert call (~0.1 s), so vectors go in chunks across deals, never per deal.
            while len(vec) >= EMBED_CHUNK or (final and vec):
                chunk, vec[:] = vec[:EMBED_CHUNK], vec[EMBED_CHUNK:]
                vectors = index.embedder.embed([d.text for d in chunk], kind="passage")
                index.store.add([d.doc_id for d in chunk], vectors, [d.text for d in chunk],
                                [d.metadata for d in chunk])
                bar.update(len(chunk))
            if kw and (final or len(kw) >= EMBED_CHUNK * 4):
                index.bm25.add(kw)
                bar.update(len([d for d in kw if d.doc_id not in counts.missing_vectors]))
                kw.clear()

        try:
            for record in _records(deals):
                for doc in turn_docs(record):
                    if doc.doc_id in counts.missing_vectors:
                        vec.append(doc)
                    if doc.doc_id in counts.missing_keywords:
                        kw.append(doc)
                flush()
            flush(final=True)
        finally:
            bar.close()
    if counts.extra_keywords or counts.missing_keywords:
        index.bm25.save()


def quarantine(folder: Path, reason: str) -> Path:
    """Move an unreadable vector folder aside (never delete: it is evidence) so a fresh one can be built."""
    _PROBED.pop(str(folder), None)
    target = folder.with_name(f"{folder.name}.broken-{datetime.now(UTC):%Y%m%d-%H%M%S}")
    shutil.move(str(folder), str(target))
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # this process must not reuse a client of the moved folder
    except ImportError:  # pragma: no cover
        pass
    log.warning("vector store %s was unreadable (%s); moved it to %s and rebuilding it from the database",
                folder, reason, target.name)
    return target


def vectors_short(index) -> bool:
    """Cheap open-time test: fewer vectors than keyword-store turns means vectors were lost (ingest writes
    vectors first, so a healthy store never has fewer)."""
    return index.store.count() < len(index.bm25)


def recover_on_open(index, journal: IndexJournal | None, crashed: list[Batch], progress: bool = True) -> None:
    """After a crash, or when vectors are missing, compare the stores with the database and repair them."""
    if crashed or vectors_short(index):
        counts = compare(index)
        if not counts.consistent:
            log.warning("index does not match the database: %s; repairing", counts.summary())
            repair(index, counts, progress=progress)
    if journal is not None and crashed:
        journal.close(crashed)


# -- `coach doctor` checks -----------------------------------------------------------------------------------

def _fresh_index(recover: bool):
    from knowledge.index.hybrid import _index_for, build_index

    if recover:
        _index_for.cache_clear()  # the next get_index() sees the repaired stores
        return None
    return build_index(recover=False)


_PROBED: dict[str, tuple[float, str | None]] = {}
PROBE_MEMO_SECONDS = 60.0


def _probe(folder: Path) -> str | None:
    """probe_chroma, remembered for a minute so one `coach doctor` run opens a child process once, not per check."""
    import time

    key = str(folder)
    hit = _PROBED.get(key)
    if hit is None or time.monotonic() - hit[0] > PROBE_MEMO_SECONDS:
        hit = _PROBED[key] = (time.monotonic(), probe_chroma(folder))
    return hit[1]


def _local_chroma() -> Path | None:
    from knowledge.settings import get_settings

    settings = get_settings()
    return None if settings.chroma_host else settings.chroma_path


@register_check("vector store readable")
def check_vector_store(repair_it: bool) -> CheckResult:
    """Open the local Chroma folder in a child process (a broken one may crash whoever opens it)."""
    name = "vector store readable"
    folder = _local_chroma()
    if folder is None:
        return CheckResult(name, True, "remote Chroma server (CHROMA_HOST): checked through the counts below")
    if not folder.exists():
        return CheckResult(name, True, f"{folder} does not exist yet (made by the first ingest)")
    reason = _probe(folder)
    if reason is None:
        return CheckResult(name, True, f"{folder} opens and answers queries")
    if not repair_it:
        return CheckResult(name, False, f"{folder}: {reason}", hint="run `coach doctor --repair` to rebuild it "
                           "from the database")
    moved = quarantine(folder, reason)
    _fresh_index(recover=True)
    return CheckResult(name, True, f"{folder} was unreadable ({reason}); moved to {moved.name}, rebuilt by the "
                       "counts check", repaired=True)


@register_check("ingest journal")
def check_journal(repair_it: bool) -> CheckResult:
    from knowledge.index.hybrid import journal_for

    name = "ingest journal"
    crashed = journal_for().crashed()
    if not crashed:
        return CheckResult(name, True, "no ingest batch was cut off")
    detail = (f"{len(crashed)} ingest batch(es) of {sum(len(b.deals) for b in crashed)} deal(s) were cut off by a "
              "crash")
    if not repair_it:
        return CheckResult(name, False, detail, hint="run `coach doctor --repair` (or re-run the ingest)")
    from knowledge.index.hybrid import get_index

    _fresh_index(recover=True)
    get_index()  # opening the shared index repairs crashed batches and closes them in the journal
    return CheckResult(name, True, detail + "; repaired from the database", repaired=True)


@register_check("index counts")
def check_counts(repair_it: bool) -> CheckResult:
    name = "index counts"
    folder = _local_chroma()
    if folder is not None and _probe(folder) is not None:
        return CheckResult(name, False, "skipped: the vector store does not open (see above)",
                           hint="run `coach doctor --repair`")
    index = _fresh_index(recover=False)
    counts = compare(index)
    if counts.consistent:
        return CheckResult(name, True, counts.summary())
    if not repair_it:
        return CheckResult(name, False, counts.summary(), hint="run `coach doctor --repair` to re-add the missing "
                           "turns from the database")
    before = counts.summary()
    repair(index, counts)
    _fresh_index(recover=True)  # the next get_index() opens the repaired stores
    after = compare(index)
    return CheckResult(name, after.consistent, f"{before} → repaired: {after.summary()}", repaired=True)
