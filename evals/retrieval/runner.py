"""Retrieval eval: recall@5 and MRR per query language, for hybrid, dense-only and BM25-only search.

recall@5 here is the share of queries with at least one relevant turn in the top 5 (relevance is a
metadata rule, so the relevant set is large and classic recall would be meaningless); MRR uses the
first relevant rank in the top 10; precision@5 is the mean share of relevant turns in the top 5.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence

from evals.retrieval.labels import LabelledQuery, load_queries
from knowledge.index import HybridIndex, open_index
from knowledge.records import DealRecord
from knowledge.settings import get_settings

MODES = ("hybrid", "dense", "bm25")
DEPTH = 10


def corpus_fingerprint(deals: Sequence[DealRecord], embedder_name: str) -> str:
    digest = hashlib.sha256(embedder_name.encode())
    for deal in deals:
        digest.update(deal.content_hash().encode())
    return digest.hexdigest()[:12]


def eval_index(deals: Sequence[DealRecord] | None = None, embedder=None, progress: bool = True) -> HybridIndex:
    """An index of ``deals`` (default: the bundled sample) under COACH_HOME/evals, reused while unchanged."""
    from knowledge.embeddings import get_embedder

    if deals is None:
        from knowledge.sample import load_sample_deals

        deals = load_sample_deals()
    embedder = embedder or get_embedder()
    root = get_settings().coach_home / "evals" / "retrieval-index"
    folder = root / corpus_fingerprint(deals, embedder.name)
    done = folder / "complete"
    if not done.exists():
        for old in root.glob("*"):  # an index of an older corpus is of no further use
            shutil.rmtree(old, ignore_errors=True)
    index = open_index(folder, embedder=embedder)
    if not done.exists():
        _build(index, deals, progress)
        index.flush()
        done.write_text(str(sum(len(d.turns) for d in deals)))
    return index


def _build(index: HybridIndex, deals: Sequence[DealRecord], progress: bool) -> None:
    import sys

    from tqdm import tqdm

    with tqdm(total=len(deals), desc="indexing eval corpus", unit="deal", file=sys.stderr, disable=not progress) as bar:
        for start in range(0, len(deals), 32):
            batch = deals[start:start + 32]
            index.add_records(batch, batch_size=256)
            bar.update(len(batch))


def score_mode(index: HybridIndex, queries: Sequence[LabelledQuery], mode: str) -> list[dict]:
    """Per-query first relevant rank (1-based, None if not in the top 10) and precision@5."""
    rows = []
    groups: dict[str, list[LabelledQuery]] = {}
    for q in queries:
        groups.setdefault(repr(sorted(q.filters.items())), []).append(q)
    for group in groups.values():
        results = index.search_many([q.text for q in group], k=DEPTH, filters=group[0].filters or None, mode=mode)
        for q, hits in zip(group, results, strict=True):
            flags = [q.is_relevant(h.metadata) for h in hits]
            rank = next((i + 1 for i, f in enumerate(flags) if f), None)
            rows.append({"id": q.id, "lang": q.lang, "rank": rank, "p5": sum(flags[:5]) / 5})
    return rows


def summarise(rows: list[dict]) -> dict:
    n = len(rows)
    if not n:
        return {"n": 0, "recall@5": None, "mrr": None, "precision@5": None}
    return {
        "n": n,
        "recall@5": round(sum(1 for r in rows if r["rank"] and r["rank"] <= 5) / n, 3),
        "mrr": round(sum(1 / r["rank"] for r in rows if r["rank"]) / n, 3),
        "precision@5": round(sum(r["p5"] for r in rows) / n, 3),
    }


def answerable(queries: Sequence[LabelledQuery], deals: Sequence[DealRecord]) -> tuple[list[LabelledQuery], list[str]]:
    """Queries whose relevance rule matches at least one turn in the corpus (others cannot be scored)."""
    from knowledge.index import turn_docs
    from knowledge.index.docs import matches, normalise_filters

    metas = [d.metadata for deal in deals for d in turn_docs(deal)]
    keep, dropped = [], []
    for q in queries:
        allowed = normalise_filters(q.filters)
        if any(q.is_relevant(m) and matches(m, allowed) for m in metas):
            keep.append(q)
        else:
            dropped.append(q.id)
    return keep, dropped


def run_retrieval_eval(deals: Sequence[DealRecord] | None = None, index: HybridIndex | None = None,
                       queries: Sequence[LabelledQuery] | None = None, progress: bool = True) -> dict:
    """Score every labelled query in every mode; figures per query language (zh, en) and overall."""
    if deals is None:
        from knowledge.sample import load_sample_deals

        deals = load_sample_deals()
    queries = list(queries) if queries is not None else load_queries()
    index = index or eval_index(deals, progress=progress)
    usable, dropped = answerable(queries, deals)
    report: dict = {
        "corpus": {"deals": len(deals), "turns": sum(len(d.turns) for d in deals)},
        "embedder": index.embedder.name,
        "queries": {"zh": sum(q.lang == "zh" for q in usable), "en": sum(q.lang == "en" for q in usable)},
        "unanswerable": dropped,
        "metric_notes": "recall@5 = share of queries with a relevant turn in the top 5; MRR over the top 10",
    }
    per_query: dict[str, dict] = {}
    for mode in MODES:
        rows = score_mode(index, usable, mode)
        for lang in ("zh", "en"):
            report.setdefault(lang, {})[mode] = summarise([r for r in rows if r["lang"] == lang])
        report.setdefault("all", {})[mode] = summarise(rows)
        for r in rows:
            per_query.setdefault(r["id"], {})[mode] = r["rank"]
    report["misses_hybrid"] = sorted(q for q, ranks in per_query.items() if not ranks["hybrid"] or ranks["hybrid"] > 5)
    return report


def main() -> None:
    import json

    print(json.dumps(run_retrieval_eval(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
