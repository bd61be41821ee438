"""Chroma vector store, partitioned by objection, holding vectors and filter fields only.

Two measured Chroma costs shape it (BENCHMARKS.md): a ``where`` filter makes a query O(collection)
(284 ms against 21 ms unfiltered at 184k turns), and stored documents plus long metadata strings halve
upsert speed. So every objection gets its own collection (``turns-<model>`` for turns without one,
``turns-<model>.price`` etc.), a query pinned to an objection searches only that partition, the other
filters are applied to an over-fetched neighbour list, and turn text and ``next_rep`` are not stored
here: :class:`~knowledge.index.hybrid.HybridIndex` takes them from the keyword store, which holds every turn.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from knowledge.index.docs import normalise_filters
from knowledge.index.vector import VectorMatch, VectorStore, register_vector_store
from knowledge.settings import SetupError, get_settings
from knowledge.taxonomy import NO_OBJECTION

PARTITION_FIELD = "objection"
LAYOUT = "by-objection-1"  # stored in the base collection's metadata; older folders are migrated on open
UNSTORED_FIELDS = ("next_rep",)  # long text: read from the keyword store instead
MIGRATE_BATCH = 1000
ID_PAGE = 10_000  # ids listed per call by health checks


def _slim(metadata: dict) -> dict:
    return {k: v for k, v in metadata.items() if k not in UNSTORED_FIELDS}


def _passes(metadata: dict, allowed: dict[str, list]) -> bool:
    return all(metadata.get(key) in values for key, values in allowed.items())


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
    """Chroma: PersistentClient under ``path`` (default settings.chroma_path), HttpClient when CHROMA_HOST is set.

    Matches carry the stored filter fields as metadata and an empty text; pair it with a keyword store for both.
    """

    # A filtered query asks each partition for more unfiltered neighbours and filters them here; only when too
    # few pass (a rare filter) does it fall back to Chroma's own, slower, filtered search.
    OVERFETCH = 8
    OVERFETCH_MIN = 500  # ids and distances only: ~2 ms for 240, ~4 ms for 1,000 neighbours at 5k turns
    MAX_OVERFETCH = 2_000  # wider HNSW queries cost 20-260 ms at 100k deals (measured)
    ID_QUERY_LIMIT = 5_000

    def __init__(self, collection: str = "turns", path: Path | None = None, host: str | None = None) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = get_settings()
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        host = host if host is not None else (None if path else settings.chroma_host)
        self.name = collection
        self._lock = threading.Lock()
        self._source = None
        try:
            if host:
                self._client = chromadb.HttpClient(host=host, port=settings.chroma_port, settings=chroma_settings)
            else:
                folder = Path(path or settings.chroma_path)
                folder.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(folder), settings=chroma_settings)
            self._parts: dict[str, object] = {}
            base = self._open(NO_OBJECTION)
            if (base.metadata or {}).get("layout") != LAYOUT:
                self._migrate(base)
        except SetupError:
            raise
        except Exception as exc:  # chromadb raises many kinds for an unreachable server or locked folder
            where = f"Chroma server {host}:{settings.chroma_port}" if host else f"Chroma folder {path or settings.chroma_path}"
            raise SetupError(
                f"cannot open {where} ({exc.__class__.__name__}: {exc}); unset CHROMA_HOST to use the embedded store"
            ) from exc

    # -- partitions ----------------------------------------------------------------------------------

    def _collection_name(self, part: str) -> str:
        return self.name if part == NO_OBJECTION else f"{self.name}.{part}"

    def _open(self, part: str):
        """The partition's collection, created on first use (embedding_function=None: our vectors only)."""
        col = self._parts.get(part)
        if col is None:
            with self._lock:
                col = self._parts.get(part)
                if col is None:
                    col = self._client.get_or_create_collection(
                        self._collection_name(part), embedding_function=None,
                        configuration={"hnsw": {"space": "cosine"}},
                        metadata={"layout": LAYOUT} if part == NO_OBJECTION else {"partition_of": self.name})
                    self._parts[part] = col
        return col

    def _known_parts(self) -> list[str]:
        """Every partition that exists now (another process may have created one since we last looked)."""
        prefix = self.name + "."
        for col in self._client.list_collections():
            name = col.name if hasattr(col, "name") else str(col)
            if name.startswith(prefix) and name[len(prefix):] not in self._parts:
                self._open(name[len(prefix):])
        return list(self._parts)

    def _existing(self, part: str):
        """The partition's collection if it exists, without creating it (queries must not create collections)."""
        if part in self._parts:
            return self._parts[part]
        if part in self._known_parts():
            return self._parts[part]
        return None

    def _migrate(self, base) -> None:
        """A folder from before partitioning holds every turn in the base collection: move each turn that
        has an objection into its partition (vectors are copied, nothing is re-embedded), then mark the layout."""
        if base.count():
            res = base.get(where={PARTITION_FIELD: {"$ne": NO_OBJECTION}}, include=[])
            ids = list(res["ids"])
            for start in range(0, len(ids), MIGRATE_BATCH):
                chunk = base.get(ids=ids[start:start + MIGRATE_BATCH], include=["embeddings", "metadatas"])
                self.add(chunk["ids"], np.asarray(chunk["embeddings"], dtype=np.float32),
                         [""] * len(chunk["ids"]), chunk["metadatas"])
                base.delete(ids=list(chunk["ids"]))
        base.modify(metadata={"layout": LAYOUT})

    # -- VectorStore ---------------------------------------------------------------------------------

    def use_filter_source(self, source) -> None:
        """Filter over-fetched neighbours with the keyword store's masks: asking Chroma for 240 neighbours'
        metadata costs ~24 ms against ~4 ms for their ids and distances alone (measured at 24k turns)."""
        self._source = source

    def add(self, ids, embeddings, texts, metadatas) -> None:
        if not len(ids):
            return
        vectors = np.asarray(embeddings, dtype=np.float32)
        groups: dict[str, list[int]] = {}
        for row, meta in enumerate(metadatas):
            groups.setdefault(str(meta.get(PARTITION_FIELD) or NO_OBJECTION), []).append(row)
        for part, rows in groups.items():
            self._open(part).upsert(ids=[ids[r] for r in rows], embeddings=vectors[rows],
                                    metadatas=[_slim(metadatas[r]) for r in rows])

    def query(self, embeddings, k, filters=None):
        vectors = np.asarray(embeddings, dtype=np.float32)
        allowed = normalise_filters(filters)
        for field in UNSTORED_FIELDS:
            if field in allowed:
                raise ValueError(f"filter field {field!r} is not stored in the vector store; filter on the keyword side")
        parts = [str(v) for v in allowed.pop(PARTITION_FIELD)] if PARTITION_FIELD in allowed else self._known_parts()
        merged: list[list[VectorMatch]] = [[] for _ in range(len(vectors))]
        for part in parts:
            col = self._existing(part)
            if col is None:
                continue
            for row, matches in enumerate(self._query_part(col, vectors, k, allowed, part)):
                merged[row].extend(matches)
        return [sorted(m, key=lambda x: x.distance)[:k] for m in merged]

    def _query_part(self, col, vectors: np.ndarray, k: int, allowed: dict[str, list],
                    part: str | None = None) -> list[list[VectorMatch]]:
        """Over-fetch unfiltered neighbours and filter them here, widening once by the pass rate seen (up to
        MAX_OVERFETCH); a filter none of those pass falls back to Chroma's own where (~250 ms even at 5k
        turns: it scans metadata, measured at 10k deals)."""
        total = col.count()
        if total == 0:
            return [[] for _ in range(len(vectors))]
        local = self._source is None  # no keyword store: read metadata back from Chroma
        if not allowed:
            return self._chroma_query(col, vectors, min(k, total), None, with_metadata=local)
        out: list[list[VectorMatch]] = [[] for _ in range(len(vectors))]
        pending, fetch = list(range(len(vectors))), min(total, max(k * self.OVERFETCH, self.OVERFETCH_MIN))
        while pending:
            wide = self._chroma_query(col, vectors[pending], fetch, None, with_metadata=local)
            short, empty, rate = [], [], 1.0
            for row, matches in zip(pending, wide, strict=True):
                kept = self._keep(matches, allowed)
                out[row] = kept[:k]
                if len(kept) < k and len(matches) < total:
                    (short if kept else empty).append(row)
                    rate = min(rate, len(kept) / max(1, len(matches)))
            exact = self._exact(col, vectors[short + empty], k, allowed, part) if fetch < total else None
            if exact is not None:  # a rare filter: search just the turns that pass it
                for row, matches in zip(short + empty, exact, strict=True):
                    out[row] = matches
                break
            if fetch >= min(total, self.MAX_OVERFETCH):
                # Widest asked: a few matches are enough for fusion with the keyword side; only a filter
                # that none of them passed goes to Chroma's own where.
                if empty:
                    narrow = self._chroma_query(col, vectors[empty], k, allowed, with_metadata=local)
                    for row, matches in zip(empty, narrow, strict=True):
                        out[row] = matches
                break
            pending = short + empty
            fetch = min(total, self.MAX_OVERFETCH, max(fetch * 4, int(k / max(rate, 1e-4) * 1.5)))
        return out

    def _exact(self, col, vectors, k: int, allowed: dict[str, list], part: str | None):
        """Nearest among exactly the partition's turns that pass the filters, when the keyword store can list
        few enough of them: ~30 ms flat at 100k deals, where widening to 2,000 neighbours took up to 260 ms."""
        if self._source is None or part is None or not len(vectors):
            return None
        ids = self._source.ids_passing({**allowed, PARTITION_FIELD: [part]}, self.ID_QUERY_LIMIT)
        if ids is None:
            return None
        if not ids:
            return [[] for _ in range(len(vectors))]
        res = col.query(query_embeddings=vectors, n_results=min(k, len(ids)), ids=ids, include=["distances"])
        return [[VectorMatch(doc_id=i, distance=d, text="", metadata={}) for i, d in zip(got, dists, strict=True)]
                for got, dists in zip(res["ids"], res["distances"], strict=True)]

    def _keep(self, matches: list[VectorMatch], allowed: dict[str, list]) -> list[VectorMatch]:
        if self._source is None:
            return [m for m in matches if _passes(m.metadata, allowed)]
        # an id the keyword store does not hold yet (another process's fresh turn) passes no filter
        ok = self._source.passing([m.doc_id for m in matches], allowed)
        return [m for m, good in zip(matches, ok, strict=True) if good]

    @staticmethod
    def _chroma_query(col, vectors, k, allowed, with_metadata: bool = True):
        res = col.query(query_embeddings=vectors, n_results=k, where=chroma_where(allowed),
                        include=["metadatas", "distances"] if with_metadata else ["distances"])
        metas = res["metadatas"] if with_metadata else [[{}] * len(ids) for ids in res["ids"]]
        return [
            [VectorMatch(doc_id=i, distance=d, text="", metadata=m) for i, d, m in zip(ids, dists, rows, strict=True)]
            for ids, dists, rows in zip(res["ids"], res["distances"], metas, strict=True)
        ]

    def vectors(self, ids, filters=None) -> dict[str, np.ndarray]:
        """The stored vectors of these ids (those found), read from the filters' objection partition when they
        fix one: pinned slices (knowledge.index.pinned) hold them in memory for exact search."""
        allowed = normalise_filters(filters)
        values = allowed.get(PARTITION_FIELD)
        parts = [str(v) for v in values] if values else self._known_parts()
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(ids))
        for part in parts:
            col = self._existing(part)
            if col is None:
                continue
            for start in range(0, len(wanted), MIGRATE_BATCH * 5):
                got = col.get(ids=wanted[start:start + MIGRATE_BATCH * 5], include=["embeddings"])
                found.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
        return found

    def delete(self, ids) -> None:
        if len(ids):
            for part in self._known_parts():
                self._parts[part].delete(ids=list(ids))

    def count(self) -> int:
        return sum(self._parts[p].count() for p in self._known_parts())

    def ids(self) -> set[str]:
        out: set[str] = set()
        for part in self._known_parts():
            col = self._parts[part]
            for offset in range(0, col.count(), ID_PAGE):
                out.update(col.get(include=[], limit=ID_PAGE, offset=offset)["ids"])
        return out
