"""Pinned slices: the vectors of the won-deal customer lines of each objection, held in memory and searched exactly.

Why: the live objection card looks up won-deal moments filtered by objection, speaker, outcome and language. At
100k deals Chroma answered that by fetching 500 unfiltered neighbours of the objection's partition (or the
nearest among an id list of up to 5,000) and filtering them: 11-100 ms of a card's time on a busy 2-core
machine. Those slices are small (8,373 rows at most per objection and language at 100k deals; 72k rows, 110 MB
of float32 vectors for all of them), so one matrix product over a slice costs about a millisecond, and it is
exact where HNSW is approximate.

A slice mirrors what this process's keyword store holds: it is rebuilt (reusing the vectors it already has)
when the keyword store has changed since, and a query no slice covers goes to the vector store as before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from knowledge.index.docs import normalise_filters
from knowledge.index.vector import VectorMatch
from knowledge.taxonomy import NO_OBJECTION

PIN_BASE = {"speaker": "customer", "outcome": "won"}  # the live card's won-deal lookup (coach.live.assist.moments)
PIN_FIELD = "objection"  # one slice per value, which is also the vector store's partition


def _key(allowed: dict[str, list]) -> tuple:
    return tuple(sorted((k, tuple(sorted(repr(v) for v in vals))) for k, vals in allowed.items()))


class PinnedSlice:
    """The rows passing one fixed filter: their ids, keyword-store rows and unit vectors, as of one generation."""

    def __init__(self, allowed: dict[str, list], ids: list[str], rows: np.ndarray, matrix: np.ndarray,
                 generation: int) -> None:
        self.allowed = allowed
        self.ids = ids
        self.rows = rows
        self.matrix = matrix
        self.generation = generation
        self.position = {doc: i for i, doc in enumerate(ids)}
        self._subsets: dict[tuple, np.ndarray | None] = {}

    def subset(self, extra: dict[str, list], bm25) -> np.ndarray | None:
        """Positions of the slice rows that also pass ``extra`` (None: all), cached per filter."""
        if not extra:
            return None
        key = _key(extra)
        if key not in self._subsets:
            mask = bm25.mask_of({**self.allowed, **extra})
            self._subsets[key] = np.flatnonzero(mask[self.rows])
        return self._subsets[key]


class PinnedVectors:
    """Slices of the index kept in memory, one per value of :data:`PIN_FIELD` beside :data:`PIN_BASE`.

    ``query`` answers a dense query whose filters fix the base fields and one pin value (and may add any other
    keyword-store filter, such as the language), or returns None so the caller asks the vector store.
    """

    def __init__(self, store, bm25, base: dict | None = None, field: str = PIN_FIELD) -> None:
        self.store = store
        self.bm25 = bm25
        self.base = normalise_filters(PIN_BASE if base is None else base)
        self.field = field
        self._slices: dict[str, PinnedSlice] = {}
        self._stale_ids: set[str] = set()  # re-embedded or deleted since their slice was built
        self.enabled = True  # off: every query goes to the vector store (the A/B bench compares both)
        self._lock = threading.Lock()

    @property
    def supported(self) -> bool:
        return callable(getattr(self.store, "vectors", None))

    def build(self, values: Sequence[str] | None = None) -> int:
        """Build (or refresh) the slices of ``values`` (default: every objection the keyword store knows), and
        have the keyword store keep those rows' postings too; returns how many rows hold vectors (none for a
        vector store that cannot hand vectors back)."""
        if values is None:
            values = [v for v in self.bm25.field_values(self.field) if v != NO_OBJECTION]
        self.bm25.pin([{**self.base, self.field: [v]} for v in values])
        if not self.supported:
            return 0
        return sum(self._current(str(v)).matrix.shape[0] for v in values)

    def _current(self, value: str) -> PinnedSlice:
        held = self._slices.get(value)
        return held if held is not None and held.generation == self.bm25.generation else self._refresh(value)

    def forget(self, ids: Sequence[str]) -> None:
        """These ids got new vectors (or none): a refresh must fetch them again rather than reuse its copy."""
        with self._lock:
            slices = list(self._slices.values())
            self._stale_ids.update(doc for doc in ids if any(doc in s.position for s in slices))

    @property
    def nbytes(self) -> int:
        return sum(s.matrix.nbytes for s in self._slices.values())

    @property
    def rows(self) -> int:
        return sum(len(s.ids) for s in self._slices.values())

    def query(self, vectors: np.ndarray, k: int, filters: dict | None) -> list[list[VectorMatch]] | None:
        """The k nearest rows per query vector (cosine distance, nearest first), or None when no built slice
        covers ``filters``. A slice the keyword store has moved past is refreshed first."""
        if not self.enabled:
            return None
        allowed = normalise_filters(filters)
        values = allowed.get(self.field)
        if values is None or len(values) != 1 or any(set(allowed.get(key, ())) != set(want)
                                                     for key, want in self.base.items()):
            return None
        value = str(values[0])
        held = self._slices.get(value)
        if held is None:
            return None  # only warmed slices are used: building one here would stall this query
        held = self._current(value)
        extra = {key: vals for key, vals in allowed.items() if key not in self.base and key != self.field}
        subset = held.subset(extra, self.bm25)
        queries = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = queries / np.where(norms > 0, norms, 1.0)
        out: list[list[VectorMatch]] = []
        if not len(held.ids) or (subset is not None and not len(subset)):
            return [[] for _ in range(len(queries))]
        sims_all = queries @ held.matrix.T
        for sims in sims_all:
            if subset is not None:
                sims = sims[subset]
            top = min(k, len(sims))
            order = np.argpartition(-sims, top - 1)[:top] if top < len(sims) else np.arange(len(sims))
            order = order[np.lexsort((order, -sims[order]))]  # nearest first; ties in row order
            positions = order if subset is None else subset[order]
            out.append([VectorMatch(doc_id=held.ids[p], distance=float(1.0 - s), text="", metadata={})
                        for p, s in zip(positions.tolist(), sims[order].tolist(), strict=True)])
        return out

    def _refresh(self, value: str) -> PinnedSlice:
        """(Re)build one slice from the keyword store's rows, reusing vectors already held for unchanged ids."""
        with self._lock:
            generation = self.bm25.generation
            held = self._slices.get(value)
            if held is not None and held.generation == generation:
                return held  # another thread refreshed it while this one waited
            allowed = {**self.base, self.field: [value]}
            rows = self.bm25.rows_passing(allowed)
            ids = self.bm25.ids_at(rows)
            old = self._slices.get(value)
            have: dict[str, np.ndarray] = {}
            if old is not None:
                have = {doc: old.matrix[old.position[doc]] for doc in ids
                        if doc in old.position and doc not in self._stale_ids}
            missing = [doc for doc in ids if doc not in have]
            if missing:
                have.update(self.store.vectors(missing, {self.field: value}))
            keep = [i for i, doc in enumerate(ids) if doc in have]  # a turn whose vector was lost stays out
            matrix = np.stack([np.asarray(have[ids[i]], dtype=np.float32) for i in keep]) if keep \
                else np.zeros((0, 0), dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix /= np.where(norms > 0, norms, 1.0)
            held = PinnedSlice(allowed, [ids[i] for i in keep], rows[np.asarray(keep, dtype=np.int64)], matrix,
                               generation)
            self._slices[value] = held
            if old is not None:
                self._stale_ids.difference_update(old.ids)
            return held
