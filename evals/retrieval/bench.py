"""Query latency of hybrid retrieval: p50/p95 over 200 single queries on the sample corpus.

Run: python -m evals.retrieval.bench  (builds the eval index once under COACH_HOME/evals, then reuses it)
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from evals.retrieval.labels import load_queries
from evals.retrieval.runner import eval_index


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def run_bench(n: int = 200, k: int = 5, index=None) -> dict:
    """Time ``n`` single searches per mode (one query embedding + Chroma + BM25 each, as live hints do)."""
    index = index or eval_index()
    texts = [q.text for q in load_queries()]
    for mode in ("hybrid", "dense", "bm25"):  # warm-up: loads the model, builds BM25, opens Chroma segments
        for i in range(10):
            index.search(texts[i], k=k, filters={"speaker": "customer"} if i % 2 else None, mode=mode)
    out: dict = {"queries": n, "k": k, "embedder": index.embedder.name, "docs": len(index.bm25)}
    times: dict[str, list[float]] = {mode: [] for mode in ("hybrid", "dense", "bm25")}
    for i in range(n):  # modes interleaved per query, so a busy machine skews them all alike
        filters = {"speaker": "customer"} if i % 2 else None
        for mode, spent in times.items():
            start = time.perf_counter()
            index.search(texts[i % len(texts)], k=k, filters=filters, mode=mode)
            spent.append((time.perf_counter() - start) * 1000)
    for mode, spent in times.items():
        out[mode] = {"p50_ms": round(percentile(spent, 50), 1), "p95_ms": round(percentile(spent, 95), 1),
                     "mean_ms": round(statistics.fmean(spent), 1)}
    return out


def main() -> None:
    result = run_bench()
    print(json.dumps(result, ensure_ascii=False))
    print(f"hybrid search over {result['docs']} turns: p50 {result['hybrid']['p50_ms']} ms, "
          f"p95 {result['hybrid']['p95_ms']} ms ({result['queries']} queries)", file=sys.stderr)


if __name__ == "__main__":
    main()
