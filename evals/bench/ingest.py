"""Ingestion throughput against the bare embedding throughput of the same texts with the same model.

Both sides run cold: a fresh data folder (so the embedding cache is empty) and the shipped embedding seed
left unread (generated deals reuse template lines it holds). The pipeline is warmed first on two other deals, so model
loading counts on neither side. Both sides embed each distinct turn text once (the pipeline's cache does
that within a run; generated deals repeat template lines), so the bare side is the least model work that
indexing these turns needs. Ratio = pipeline turns/s ÷ bare-embedding turns/s over the same turns: what
anonymization, tagging (the detector embeds customer lines again, as queries) and storage add.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

INGEST_SEED = 424242


def run_ingest(deals: int = 200, seed: int = INGEST_SEED, folder: Path | None = None, progress: bool = False,
               batch_size: int = 128) -> dict:
    from evals.bench.scale import use_home
    from evals.corpus.generate import generate_deals, write_jsonl

    folder = Path(folder or tempfile.mkdtemp(prefix="coach-bench-ingest-"))
    use_home(folder / "home")
    from knowledge.embeddings import get_embedder
    from knowledge.ingest import ingest_path

    warm, data = folder / "warm.jsonl", folder / "deals.jsonl"
    write_jsonl(generate_deals(2, seed + 1, prefix="warm"), warm, progress=False)
    write_jsonl(generate_deals(deals, seed, prefix="ingbench"), data, progress=False)
    embedder = get_embedder()
    if hasattr(embedder, "go_cold"):
        embedder.go_cold()  # the generator's template lines are in the shipped seed: a real corpus is not
    ingest_path(warm, fmt="jsonl", progress=False)  # loads anonymizer, detector, model, index

    report = ingest_path(data, fmt="jsonl", progress=progress)
    pipeline_s = report.seconds

    from sqlmodel import select

    from knowledge.db import session
    from knowledge.records import DealRecord
    from knowledge.tables import DealRow

    with session() as s:
        rows = s.exec(select(DealRow.record_json).where(DealRow.deal_id.not_like("warm%"))).all()
    texts = list(dict.fromkeys(t.text for raw in rows for t in DealRecord.model_validate_json(raw).turns))
    model = get_embedder().inner  # the same model object, without the cache
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        model.embed(texts[start:start + batch_size], kind="passage")
    bare_s = time.perf_counter() - started
    pipeline_tps = report.turns / pipeline_s if pipeline_s else 0.0
    bare_tps = report.turns / bare_s if bare_s else 0.0  # the same turns, made searchable by embedding alone
    return {
        "what": "cold cache (empty folder, shipped embedding seed unread); generated deals; real anonymizer, "
                "detector, model, Chroma, BM25, database",
        "deals": report.new, "turns": report.turns, "bad_rows": len(report.bad_rows),
        "pipeline_seconds": round(pipeline_s, 2), "deals_per_s": round(report.new / pipeline_s, 2) if pipeline_s else 0,
        "turns_per_s": round(pipeline_tps, 1),
        "bare_embedding_distinct_texts": len(texts), "bare_embedding_seconds": round(bare_s, 2),
        "bare_embedding_turns_per_s": round(bare_tps, 1),
        "ratio_to_bare_embedding": round(pipeline_tps / bare_tps, 3) if bare_tps else None,
        "embedder": get_embedder().name, "folder": str(folder),
    }
