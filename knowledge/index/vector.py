"""Vector stores: one small interface (add/query), a registry keyed by name, and the in-memory backend.

Chroma lives in :mod:`knowledge.index.chroma`. We always pass our own embeddings: Chroma's default
embedding function would download a model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel

from knowledge.index.docs import normalise_filters
from knowledge.settings import SetupError


class VectorMatch(BaseModel):
    doc_id: str
    distance: float
    text: str
    metadata: dict


class VectorStore(ABC):
    """Stores (id, embedding, metadata) and answers nearest-neighbour queries with metadata filters.

    A store may keep the text and long metadata too (the memory store does) or only what it filters on (Chroma);
    HybridIndex reads text and full metadata from the keyword store either way. A store that can also hand
    stored vectors back (``vectors(ids, filters) -> {id: vector}``) lets the index pin small slices in memory
    (knowledge.index.pinned); one that cannot is simply always queried."""

    @abstractmethod
    def add(self, ids: Sequence[str], embeddings: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict]) -> None:
        """Insert or replace these documents (same id again replaces, so re-indexing is safe)."""

    @abstractmethod
    def query(self, embeddings: np.ndarray, k: int, filters: dict | None = None) -> list[list[VectorMatch]]:
        """For each query vector, the k nearest documents that pass the filters, nearest first."""

    def delete(self, ids: Sequence[str]) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot delete")

    def use_filter_source(self, source) -> None:
        """A store may filter with the keyword store's cached masks instead of reading metadata back:
        ``source.passing(ids, filters) -> bool array`` and ``source.ids_passing(filters, limit) -> ids | None``."""
        return None  # stores that filter on their own metadata ignore it

    def count(self) -> int:
        raise NotImplementedError

    def ids(self) -> set[str]:
        """Every stored id (for health checks that compare the stores; may be slow on big stores)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list its ids")


_REGISTRY: dict[str, Callable[..., VectorStore]] = {}


def register_vector_store(name: str):
    def wrap(factory):
        _REGISTRY[name] = factory
        return factory
    return wrap


def get_vector_store(name: str = "chroma", **kwargs) -> VectorStore:
    try:
        return _REGISTRY[name](**kwargs)
    except KeyError:
        raise SetupError(f"unknown vector store {name!r}; use one of: {', '.join(_REGISTRY)}") from None


@register_vector_store("memory")
class MemoryVectorStore(VectorStore):
    """Exact search in a numpy matrix; for tests and small throwaway indexes."""

    def __init__(self, **_ignored) -> None:
        self._rows: dict[str, tuple[np.ndarray, str, dict]] = {}

    def add(self, ids, embeddings, texts, metadatas) -> None:
        for i, e, t, m in zip(ids, np.asarray(embeddings, dtype=np.float32), texts, metadatas, strict=True):
            self._rows[i] = (e, t, dict(m))

    def query(self, embeddings, k, filters=None):
        from knowledge.index.docs import matches

        allowed = normalise_filters(filters)
        keys = [i for i, (_, _, m) in self._rows.items() if matches(m, allowed)]
        if not keys:
            return [[] for _ in range(len(embeddings))]
        matrix = np.stack([self._rows[i][0] for i in keys])
        out = []
        for sims in np.asarray(embeddings, dtype=np.float32) @ matrix.T:
            order = np.argsort(-sims, kind="stable")[:k]  # ties in insertion order, every time
            out.append([VectorMatch(doc_id=keys[j], distance=float(1 - sims[j]), text=self._rows[keys[j]][1],
                                    metadata=self._rows[keys[j]][2]) for j in order])
        return out

    def vectors(self, ids, filters=None) -> dict[str, np.ndarray]:
        """The stored vectors of these ids (those found; the filters only narrow where a store looks)."""
        return {i: self._rows[i][0] for i in ids if i in self._rows}

    def delete(self, ids) -> None:
        for i in ids:
            self._rows.pop(i, None)

    def count(self) -> int:
        return len(self._rows)

    def ids(self) -> set[str]:
        return set(self._rows)

