"""BM25 postings restricted to a fixed set of rows (a pinned filter), scored exactly as over the whole matrix.

Why: a filtered BM25 search reads each query token's postings over every row and masks them. For the live
card's won-deal lookup the filter keeps ~8k of 1.8M rows at 100k deals, yet a common word's postings run to
hundreds of thousands of entries: 10-27 ms p95 on a busy machine. The same entries cut down to the pinned rows
once, at warm-up, make that read a few hundred entries.
"""

from __future__ import annotations

import numpy as np


def _key(allowed: dict[str, list]) -> tuple:
    return tuple(sorted((k, tuple(sorted(repr(v) for v in vals))) for k, vals in allowed.items()))


class RowPostings:
    """The matrix entries of ``rows`` (sorted matrix rows) only, as a CSC with the same token columns."""

    def __init__(self, allowed: dict[str, list], rows: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                 data: np.ndarray) -> None:
        self.allowed = allowed
        self.key = _key(allowed)
        self.rows = rows
        self.indptr = indptr
        self.indices = indices  # positions in ``rows``
        self.data = data
        self._subsets: dict[tuple, np.ndarray] = {}

    def covers(self, allowed: dict[str, list]) -> bool:
        """Whether a search with these filters keeps only rows of this set (its fields fixed the same way)."""
        return all(set(map(repr, allowed.get(key, ()))) == set(map(repr, want)) for key, want in self.allowed.items())

    def subset(self, allowed: dict[str, list], mask_of) -> np.ndarray | None:
        """Which of the rows pass ``allowed`` (None: all), from the caller's cached mask, cached per filter."""
        if len(allowed) == len(self.allowed):
            return None
        key = _key(allowed)
        hit = self._subsets.get(key)
        if hit is None:
            hit = self._subsets[key] = mask_of(allowed)[self.rows]
        return hit

    def matches(self, token_ids: list[int], subset: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Matrix rows holding a query token (and passing ``subset``) with their BM25 scores, summed in the
        same order as the whole-matrix path, so scores and ties come out identical."""
        spans = [(int(self.indptr[t]), int(self.indptr[t + 1])) for t in dict.fromkeys(token_ids)]
        local = np.concatenate([self.indices[start:end] for start, end in spans])
        values = np.concatenate([self.data[start:end] for start, end in spans])
        if subset is not None:
            keep = subset[local]
            local, values = local[keep], values[keep]
        local, position = np.unique(local, return_inverse=True)
        scores = np.bincount(position, weights=values, minlength=len(local)).astype(np.float32)
        positive = scores > 0
        return self.rows[local[positive]], scores[positive]


def restrict(scores: dict, sets: list[tuple[dict[str, list], np.ndarray]]) -> list[RowPostings]:
    """Cut a bm25s score matrix (CSC by token) down to each of these row sets, in one pass over its entries."""
    if len(sets) > 1 and len(np.unique(np.concatenate([rows for _, rows in sets]))) < sum(len(r) for _, r in sets):
        return [p for one in sets for p in restrict(scores, [one])]  # overlapping sets: one pass each
    indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
    owner = np.full(int(scores["num_docs"]), -1, dtype=np.int16)
    local = np.zeros(int(scores["num_docs"]), dtype=np.int32)
    for j, (_, rows) in enumerate(sets):
        owner[rows] = j
        local[rows] = np.arange(len(rows), dtype=np.int32)
    entry_owner = owner[indices]
    out = []
    for j, (allowed, rows) in enumerate(sets):
        positions = np.flatnonzero(entry_owner == j)
        out.append(RowPostings(allowed, rows, np.searchsorted(positions, indptr).astype(np.int64),
                               local[indices[positions]], data[positions]))
    return out
