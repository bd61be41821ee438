"""A persistent embedding cache: vectors keyed by (kind, text) in SQLite under COACH_HOME, seeded from a
file shipped with the package for the bundled sample corpus and playbooks.

Why: the bilingual model runs at tens of sentences per second on two cores, so re-embedding the same
playbook exemplars and sample turns at every start would cost minutes. The model itself loads only on a
cache miss. The shipped seed is the same model's output, rebuilt by ``python -m evals.seed_embeddings``
and checked against the live model by a test.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.embeddings import Embedder

# A call embedding fewer texts than this (a trainee reply, a live utterance) is not written to disk: the write
# would cost a live call more than the model does, and such texts rarely repeat.
PERSIST_MIN_BATCH = 4
RECENT_LIMIT = 20_000


def cache_key(text: str, kind: str) -> str:
    return hashlib.sha1(f"{kind}\x00{text}".encode()).hexdigest()


def seed_file(name: str):
    return resources.files("knowledge.data") / f"embeddings-{name}.npz"


class CachedEmbedder(Embedder):
    def __init__(self, name: str, factory: Callable[[], Embedder], home: str | Path | None) -> None:
        self.name = name
        self._factory = factory
        self._inner: Embedder | None = None
        self._memory: dict[str, np.ndarray] = {}
        self._recent: dict[str, np.ndarray] = {}  # insertion-ordered, trimmed to RECENT_LIMIT
        self._lock = threading.Lock()  # guards the dicts only; never held while the model runs
        self._load_lock = threading.Lock()
        self._seeded = False
        self._db_path = Path(home) / "cache" / f"embeddings-{name.replace('/', '_')}.sqlite" if home else None
        self.dim = 0

    @property
    def inner(self) -> Embedder:
        if self._inner is None:
            with self._load_lock:  # load the model once, even when the first calls arrive together
                if self._inner is None:
                    inner = self._factory()
                    self.dim = inner.dim
                    self._inner = inner
        return self._inner

    def go_cold(self) -> None:
        """Forget what is in memory and skip the shipped seed, as if on a new corpus (benchmarks time this)."""
        with self._lock:
            self._memory.clear()
            self._recent.clear()
            self._seeded = True

    def _seed(self) -> None:
        if self._seeded:
            return
        self._seeded = True
        path = seed_file(self.name)
        if path.is_file():
            with resources.as_file(path) as real, np.load(real) as data:
                vectors = data["vectors"].astype(np.float32)
                for key, vec in zip(data["keys"].tolist(), vectors, strict=True):
                    self._memory[str(key)] = vec
                if len(vectors):
                    self.dim = vectors.shape[1]

    def _connect(self) -> sqlite3.Connection | None:
        if self._db_path is None:
            return None
        try:
            self._db_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._db_path, timeout=30)
            conn.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
            return conn
        except (OSError, sqlite3.Error):
            return None  # an unwritable cache only costs speed

    def _known(self, key: str) -> np.ndarray | None:
        vec = self._memory.get(key)
        return vec if vec is not None else self._recent.get(key)

    def _have(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors already held for ``keys`` (memory, the shipped seed, and the disk for a large batch)."""
        with self._lock:
            self._seed()
            have = {k: v for k in keys if (v := self._known(k)) is not None}
        missing = [k for k in keys if k not in have]
        if len(missing) >= PERSIST_MIN_BATCH:
            found = self._load_from_disk(missing)
            with self._lock:
                self._memory.update(found)
            have.update(found)
        return have

    def held(self, texts: Sequence[str], kind: str = "passage") -> dict[str, np.ndarray]:
        """The vectors this cache already holds for ``texts`` (by text), without running the model."""
        unique = {cache_key(t, kind): t for t in texts}
        return {unique[k]: v for k, v in self._have(list(unique)).items()}

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim or self.inner.dim), dtype=np.float32)
        keys = [cache_key(t, kind) for t in texts]
        unique = dict(zip(keys, texts, strict=True))
        have = self._have(list(unique))
        # The model runs outside the lock: one long or slow embedding must not stall every other caller
        # (cache hits included). Two callers missing the same text both compute it; the vectors are equal.
        todo = [(k, unique[k]) for k in unique if k not in have]
        if todo:
            vectors = self.inner.embed([t for _, t in todo], kind=kind)
            fresh = {k: vectors[i].astype(np.float32) for i, (k, _) in enumerate(todo)}
            if len(fresh) >= PERSIST_MIN_BATCH:
                self._store(fresh)
            with self._lock:
                if len(fresh) >= PERSIST_MIN_BATCH:
                    self._memory.update(fresh)  # bulk work (ingest, exemplars): keep and persist
                else:
                    self._recent.update(fresh)  # one-off live queries: memory only, bounded
                    while len(self._recent) > RECENT_LIMIT:
                        self._recent.pop(next(iter(self._recent)))
            have.update(fresh)
        out = np.stack([have[k] for k in keys])
        self.dim = out.shape[1]
        return out

    def _load_from_disk(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        conn = self._connect()
        if conn is None:
            return found
        with conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in conn.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        conn.close()
        return found

    def _store(self, fresh: dict[str, np.ndarray]) -> None:
        conn = self._connect()
        if conn is None:
            return
        with conn:
            conn.executemany("INSERT OR REPLACE INTO vec (key, v) VALUES (?, ?)",
                             [(k, v.astype(np.float32).tobytes()) for k, v in fresh.items()])
        conn.close()

    def export(self) -> tuple[list[str], np.ndarray]:
        """Everything in memory and on disk (for building the shipped seed)."""
        conn = self._connect()
        if conn is not None:
            with conn:
                for key, blob in conn.execute("SELECT key, v FROM vec"):
                    self._memory.setdefault(key, np.frombuffer(blob, dtype=np.float32))
            conn.close()
        keys = sorted(self._memory)
        return keys, np.stack([self._memory[k] for k in keys]) if keys else np.zeros((0, 0), np.float32)
