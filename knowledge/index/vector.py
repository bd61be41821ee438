"""Vector stores: one small interface (add/query), a registry keyed by name, Chroma and in-memory backends.

We always pass our own embeddings: Chroma's default embedding function would download a model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from knowledge.index.docs import normalise_filters
from knowledge.settings import SetupError, get_settings


class VectorMatch(BaseModel):
    doc_id: str
    distance: float
    text: str
    metadata: dict


class VectorStore(ABC):
    """Stores (id, embedding, text, metadata) and answers nearest-neighbour queries with metadata filters."""

    @abstractmethod
    def add(self, ids: Sequence[str], embeddings: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict]) -> None:
        """Insert or replace these documents (same id again replaces, so re-indexing is safe)."""

    @abstractmethod
    def query(self, embeddings: np.ndarray, k: int, filters: dict | None = None) -> list[list[VectorMatch]]:
        """For each query vector, the k nearest documents that pass the filters, nearest first."""

    def delete(self, ids: Sequence[str]) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot delete")

    def count(self) -> int:
        raise NotImplementedError


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


def chroma_where(filters: dict | None) -> dict | None:
    clauses = [
        {key: values[0]} if len(values) == 1 else {key: {"$in": values}}
        for key, values in normalise_filters(filters).items()
    ]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@register_vector_store("chroma")
class ChromaStore(VectorStore):
    """Chroma: PersistentClient under ``path`` (default settings.chroma_path), HttpClient when CHROMA_HOST is set."""

    def __init__(self, collection: str = "turns", path: Path | None = None, host: str | None = None) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = get_settings()
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        host = host if host is not None else (None if path else settings.chroma_host)
        try:
            if host:
                client = chromadb.HttpClient(host=host, port=settings.chroma_port, settings=chroma_settings)
            else:
                folder = Path(path or settings.chroma_path)
                folder.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(folder), settings=chroma_settings)
            # embedding_function=None: vectors always come from our Embedder, never from a downloaded model.
            self._col = client.get_or_create_collection(
                collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except Exception as exc:  # chromadb raises many kinds for an unreachable server or locked folder
            where = f"Chroma server {host}:{settings.chroma_port}" if host else f"Chroma folder {path or settings.chroma_path}"
            raise SetupError(
                f"cannot open {where} ({exc.__class__.__name__}: {exc}); unset CHROMA_HOST to use the embedded store"
            ) from exc

    def add(self, ids, embeddings, texts, metadatas) -> None:
        if len(ids):
            self._col.upsert(ids=list(ids), embeddings=np.asarray(embeddings, dtype=np.float32),
                             documents=list(texts), metadatas=list(metadatas))

    # Chroma's filtered search slows down with collection size (284 ms against 21 ms unfiltered at 184k
    # turns), so a filtered query first asks for more unfiltered neighbours and filters them here; only when
    # too few pass (a rare filter) does it fall back to Chroma's own filtered search.
    OVERFETCH = 8
    OVERFETCH_MIN = 200

    def query(self, embeddings, k, filters=None):
        total = self.count()
        if total == 0:
            return [[] for _ in range(len(embeddings))]
        vectors = np.asarray(embeddings, dtype=np.float32)
        if not filters:
            return self._query(vectors, k, None)
        allowed = normalise_filters(filters)
        wide = self._query(vectors, min(total, max(k * self.OVERFETCH, self.OVERFETCH_MIN)), None)
        out, short = [], []
        for row, matches in enumerate(wide):
            kept = [m for m in matches if _passes(m.metadata, allowed)][:k]
            out.append(kept)
            if len(kept) < k and len(matches) < total:
                short.append(row)
        if short:
            narrow = self._query(vectors[short], k, filters)
            for row, matches in zip(short, narrow, strict=True):
                out[row] = matches
        return out

    def _query(self, vectors, k, filters):
        res = self._col.query(query_embeddings=vectors, n_results=k, where=chroma_where(filters),
                              include=["documents", "metadatas", "distances"])
        return [
            [VectorMatch(doc_id=i, distance=d, text=t, metadata=m) for i, d, t, m in zip(ids, dists, docs, metas, strict=True)]
            for ids, dists, docs, metas in zip(res["ids"], res["distances"], res["documents"], res["metadatas"], strict=True)
        ]

    def delete(self, ids) -> None:
        if len(ids):
            self._col.delete(ids=list(ids))

    def count(self) -> int:
        return self._col.count()


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
            order = np.argsort(-sims)[:k]
            out.append([VectorMatch(doc_id=keys[j], distance=float(1 - sims[j]), text=self._rows[keys[j]][1],
                                    metadata=self._rows[keys[j]][2]) for j in order])
        return out

    def delete(self, ids) -> None:
        for i in ids:
            self._rows.pop(i, None)

    def count(self) -> int:
        return len(self._rows)


def _passes(metadata: dict, allowed: dict[str, list]) -> bool:
    return all(metadata.get(key) in values for key, values in allowed.items())
