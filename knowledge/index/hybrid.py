"""Hybrid retrieval: dense vectors (our embedder + a VectorStore) and BM25, fused by reciprocal rank."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from knowledge.embeddings import Embedder, get_embedder
from knowledge.index.bm25 import BM25Index
from knowledge.index.docs import TurnDoc, turn_docs
from knowledge.index.journal import IndexJournal
from knowledge.index.pinned import PinnedVectors
from knowledge.index.tokenize import tokenize
from knowledge.index.vector import VectorStore, get_vector_store
from knowledge.records import DealRecord
from knowledge.settings import SetupError, get_settings

RRF_K = 60  # the usual reciprocal-rank-fusion constant: ranks matter, raw scores do not
MODES = ("hybrid", "dense", "bm25")


class Hit(BaseModel):
    """One retrieved turn; ``score`` is the fused score (or the single ranker's in dense/bm25 mode)."""

    doc_id: str
    deal_id: str
    turn_idx: int
    text: str
    speaker: str
    score: float
    metadata: dict


WARM_FIELDS = ("speaker", "lang", "act", "objection", "industry", "segment", "outcome")  # what turns filter on


class HybridIndex:
    """Dense + BM25 over deal turns. Pass the embedder, vector store and BM25 index in; tests pass fakes."""

    def __init__(self, store: VectorStore, bm25: BM25Index, embedder: Embedder | None = None) -> None:
        self.store = store
        self.bm25 = bm25
        self._embedder = embedder
        self.journal: IndexJournal | None = None  # set on the shared index: ingest journals its batches there
        self.pins = PinnedVectors(store, bm25)  # the live card's won-deal slices, in memory once warmed
        store.use_filter_source(bm25)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    def add_records(self, records: Iterable[DealRecord], batch_size: int = 128) -> int:
        """Index every turn of these deals (replacing earlier versions); returns the number of turns."""
        records = list(records)
        stale = self._stale_ids(records)
        docs = [d for r in records for d in turn_docs(r)]
        for start in range(0, len(docs), batch_size):
            self._add_docs(docs[start:start + batch_size])
        if stale:
            self.pins.forget(stale)
            self.store.delete(stale)
            self.bm25.delete(stale)
        return len(docs)

    def _add_docs(self, docs: Sequence[TurnDoc]) -> None:
        vectors = self.embedder.embed([d.text for d in docs], kind="passage")
        moved = [d.doc_id for d in docs if (old := self.bm25.get(d.doc_id)) is not None
                 and old["meta"].get("objection") != d.metadata.get("objection")]
        if moved:  # a re-tagged turn changes vector-store partition: drop the copy in the old one
            self.store.delete(moved)
        self.store.add([d.doc_id for d in docs], vectors, [d.text for d in docs], [d.metadata for d in docs])
        # Re-embedded: a pinned copy of the old vector is out of date. Said before the keyword store moves on,
        # since that is what makes a slice refresh.
        self.pins.forget([d.doc_id for d in docs])
        self.bm25.add(docs)

    def _stale_ids(self, records: Sequence[DealRecord]) -> list[str]:
        """Turns a deal had before but not any more (a re-ingested deal got shorter)."""
        stale = []
        for r in records:
            idx = len(r.turns)
            while self.bm25.get(f"{r.deal_id}#{idx}") is not None:
                stale.append(f"{r.deal_id}#{idx}")
                idx += 1
        return stale

    def flush(self) -> None:
        """Persist the BM25 matrix (the vector store persists itself)."""
        self.bm25.save()

    def warm(self, pins: bool = True) -> int:
        """Build the keyword side's filter masks now (at start-up, not in a trainee's turn), and with ``pins`` the
        in-memory slices the live card's won-deal lookup searches (see knowledge.index.pinned). Returns the
        number of masks built."""
        masks = self.bm25.warm_filters(WARM_FIELDS)
        if pins:
            self.pins.build()
        return masks

    def search(self, query: str, k: int = 5, filters: dict | None = None, kind: str = "query",
               mode: str = "hybrid", vector: np.ndarray | None = None) -> list[Hit]:
        """The k turns most like ``query``, filtered by metadata (equality or ``{"$in": [...]}``). ``vector``: the
        query's embedding by this index's model, when the caller has it already (not embedded again)."""
        return self.search_many([query], k=k, filters=filters, kind=kind, mode=mode,
                                vectors=None if vector is None else np.asarray(vector, np.float32)[None, :])[0]

    def search_many(self, queries: Sequence[str], k: int = 5, filters: dict | None = None, kind: str = "query",
                    mode: str = "hybrid", vectors: np.ndarray | None = None) -> list[list[Hit]]:
        """Batch form of :meth:`search`: one embedding call and one vector-store call for all queries."""
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
        if not queries:
            return []
        depth = max(4 * k, 30)
        dense = [[] for _ in queries]
        sparse = [[] for _ in queries]
        if mode in ("hybrid", "dense"):
            if vectors is None or len(vectors) != len(queries):
                vectors = self.embedder.embed(list(queries), kind=kind)
            dense = self.pins.query(vectors, depth, filters)  # None unless a warmed slice covers the filters
            if dense is None:
                dense = self.store.query(vectors, depth, filters)
        if mode in ("hybrid", "bm25"):
            sparse = self.bm25.search([tokenize(q) for q in queries], depth, filters)
        return [self._fuse(d, s, k, fused=mode == "hybrid") for d, s in zip(dense, sparse, strict=True)]

    def _fuse(self, dense, sparse, k: int, fused: bool = True) -> list[Hit]:
        scores: dict[str, float] = {}
        found: dict[str, tuple[str, dict]] = {}
        rank = 0
        for match in dense:
            # Text and full metadata come from the keyword store (the vector store may keep filter fields only);
            # a vector this process's keyword side has not seen yet (another process's fresh ingest) is skipped.
            entry = self.bm25.get(match.doc_id)
            if entry is None and not match.text:
                continue
            own = 1.0 - match.distance  # cosine similarity
            scores[match.doc_id] = scores.get(match.doc_id, 0.0) + (1.0 / (RRF_K + rank + 1) if fused else own)
            found[match.doc_id] = (entry["text"], entry["meta"]) if entry else (match.text, match.metadata)
            rank += 1
        for rank, (doc_id, own) in enumerate(sparse):
            scores[doc_id] = scores.get(doc_id, 0.0) + (1.0 / (RRF_K + rank + 1) if fused else own)
            if doc_id not in found:
                entry = self.bm25.get(doc_id)
                found[doc_id] = (entry["text"], entry["meta"])
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        return [
            Hit(doc_id=doc_id, deal_id=str(found[doc_id][1]["deal_id"]), turn_idx=int(found[doc_id][1]["turn_idx"]),
                text=found[doc_id][0], speaker=str(found[doc_id][1]["speaker"]), score=score,
                metadata=dict(found[doc_id][1]))
            for doc_id, score in ranked
        ]


def collection_name(embedder_name: str) -> str:
    """One collection per embedder (vectors of different models must not mix)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(embedder_name).name).strip("-._") or "model"
    return f"turns-{slug}"[:60]


def open_index(folder: Path, embedder: Embedder | None = None, store: VectorStore | None = None) -> HybridIndex:
    """A HybridIndex whose Chroma and BM25 data live under ``folder`` (evals build throwaway ones)."""
    name = embedder.name if embedder else get_settings().embedder
    store = store or get_vector_store("chroma", collection=collection_name(name), path=Path(folder) / "chroma")
    return HybridIndex(store, BM25Index(Path(folder) / "bm25" / collection_name(name)), embedder)


@lru_cache(maxsize=4)
def _index_for(home: str, embedder_name: str, chroma_host: str | None) -> HybridIndex:
    return build_index(recover=True)


def journal_for(collection: str | None = None) -> IndexJournal:
    """The ingest journal of the shared index (one per collection, under COACH_HOME/index-journal)."""
    settings = get_settings()
    return IndexJournal(settings.coach_home / "index-journal" / f"{collection or collection_name(settings.embedder)}.jsonl")


def build_index(recover: bool = True, progress: bool = True) -> HybridIndex:
    """The shared index for the current settings, uncached. With ``recover`` it first repairs what a crash left:
    a vector folder that no longer opens is moved aside and rebuilt from the database, batches the journal shows
    cut off are reconciled, and lost vectors are re-added (each with a progress bar on stderr)."""
    from knowledge.index import health
    from knowledge.index.probe import probe_chroma

    settings = get_settings()
    collection = collection_name(settings.embedder)
    journal = journal_for(collection)
    crashed = journal.crashed() if recover else []
    local = None if settings.chroma_host else settings.chroma_path
    if local is not None and any(not b.indexed for b in crashed):
        reason = probe_chroma(local)  # a vector write was cut off: open the folder in a child first
        if reason:
            health.quarantine(local, reason)
    try:
        store = get_vector_store("chroma", collection=collection)
        if recover and local is not None:
            store.count()  # loads every partition: an unreadable one raises here, not in the first search
    except Exception as exc:
        reason = probe_chroma(local) if (recover and local is not None) else None
        if not reason:
            if isinstance(exc, SetupError):
                raise SetupError(f"{exc}; if the folder is damaged, `coach doctor --repair` rebuilds it from the "
                                 "database") from exc
            raise
        health.quarantine(local, reason)
        store = get_vector_store("chroma", collection=collection)
    index = HybridIndex(store, BM25Index(settings.coach_home / "bm25" / collection))
    index.journal = journal
    if not index.bm25.exists:
        _rebuild_bm25_from_db(index)
    if recover:
        health.recover_on_open(index, journal, crashed, progress=progress)
    return index


def get_index() -> HybridIndex:
    """The shared index for the current COACH_HOME and embedder (cached; rebuilds BM25 from the DB if missing,
    and repairs the index after a crash: see :func:`build_index`)."""
    settings = get_settings()
    return _index_for(str(settings.coach_home), settings.embedder, settings.chroma_host)


def _rebuild_bm25_from_db(index: HybridIndex) -> None:
    """BM25 files lost (or never built) but deals stored: rebuild the keyword side from the deals table."""
    from sqlalchemy import inspect
    from sqlmodel import select

    from knowledge.db import get_engine, session
    from knowledge.tables import DealRow

    if not inspect(get_engine()).has_table("deals"):
        return
    with session() as s:
        rows = s.exec(select(DealRow.record_json)).all()
    docs = [d for raw in rows for d in turn_docs(DealRecord.model_validate_json(raw))]
    for start in range(0, len(docs), 1000):
        index.bm25.add(docs[start:start + 1000])
    if docs:
        index.bm25.save()
