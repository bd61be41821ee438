"""`coach bench`: build (or reuse) a scale index per size, then time role-play turns, live hints and many
trainees against it; ingestion throughput once. Returns one JSON-able report."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from evals.bench.machine import machine_info
from evals.bench.scale import SYNTHETIC_LABEL, build_scale_home, default_home, use_home


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def bench_size(deals: int, root: Path | None, vectors: str, turns: int, utterances: int, trainees: int,
               trainee_turns: int, progress: bool, sample: bool = True) -> dict:
    """All per-index figures at one index size."""
    from coach.practice import PracticeService
    from evals.bench.concurrency import run_concurrency
    from evals.bench.roleplay import run_roleplay
    from evals.live.bench import run as run_live
    from evals.live.bench import uncached_kit

    home = (Path(root) / default_home(deals, vectors).name) if root else default_home(deals, vectors)
    _say(progress, f"[bench] index of {deals} deals in {home} ({vectors} document vectors)")
    built = build_scale_home(deals, home, vectors=vectors, progress=progress, init=True, sample=sample)
    kit = uncached_kit()  # live utterances are new: each is embedded once, never read from the persistent cache
    kit.warm_up()
    result: dict = {"deals": deals, "index": built,
                    "vectors": SYNTHETIC_LABEL if vectors == "random" else "real model document vectors"}
    if turns:
        _say(progress, f"[bench] role-play: {turns} turns per language")
        service = PracticeService()
        run_roleplay(service, kit, turns=2)  # warm: first grade loads playbooks and exemplars
        _forget_replies()  # the same trainee replies are timed at every size: each must be embedded afresh
        result["roleplay"] = run_roleplay(service, kit, turns=turns)
    if utterances:
        _say(progress, f"[bench] live hints: {utterances} customer utterances")
        result["live"] = run_live(kit, utterances)
    if trainees:
        _say(progress, f"[bench] concurrency: {trainees} trainees x {trainee_turns} turns")
        result["concurrency"] = run_concurrency(home, trainees=trainees, turns=trainee_turns)
    return result


def _forget_replies() -> None:
    """Clear the shared embedder's in-process memory: a reply timed at 1k deals would otherwise be a cache hit
    at 10k, and the larger index would look faster than the smaller one (it did: p50 40 vs 72 ms)."""
    from knowledge.embeddings import get_embedder
    from knowledge.understanding import get_understanding

    model = get_understanding()
    for embedder in {id(e): e for e in (get_embedder(), model.embedder, model.customer_embedder,
                                        model.pair_embedder)}.values():
        if hasattr(embedder, "go_cold"):  # the grader's model keeps the embedder it was first loaded with
            embedder.go_cold()


def run_bench(deals: list[int], root: Path | None = None, vectors: str = "random", turns: int = 60,
              utterances: int = 200, ingest_deals: int = 200, trainees: int = 50, trainee_turns: int = 5,
              progress: bool = True, sample: bool = True) -> dict:
    started = time.perf_counter()
    report: dict = {"machine": machine_info(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                    "sizes": []}
    for n in deals:
        report["sizes"].append(bench_size(n, root, vectors, turns, utterances, trainees, trainee_turns, progress,
                                          sample))
    if ingest_deals:
        _say(progress, f"[bench] ingestion: {ingest_deals} deals, cold cache, against bare embedding")
        from evals.bench.ingest import run_ingest

        folder = (Path(root) / "ingest") if root else None
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        report["ingest"] = run_ingest(ingest_deals, folder=folder, progress=progress)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def text_report(report: dict) -> str:
    m = report["machine"]
    lines = [f"machine: {m['cpu_count']} cores, {m['platform']}, load average at start "
             f"{report['load_average_at_start']} / end {report['load_average_at_end']}",
             f"command: {m['command']}"]
    for size in report["sizes"]:
        lines.append(f"\n== {size['deals']} deals ({size['index']['indexed_docs']} indexed turns) — {size['vectors']}")
        if "roleplay" in size:
            r = size["roleplay"]
            ahead = r["parts"].get("read_ahead_ms", {}).get("p95_ms")
            lines.append(f"role-play turn, reply sent -> customer's line shown: p50 {r['parts']['turn_ms']['p50_ms']} "
                         f"ms, p95 {r['parts']['turn_ms']['p95_ms']} ms (n={r['n']}); with the read-ahead of the "
                         f"line before and hints: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms "
                         f"(read-ahead p95 {ahead} ms, hints p95 {r['parts']['hints_ms']['p95_ms']} ms)")
        if "live" in size:
            r = size["live"]
            card = r.get("with_objection_card") or {}
            carded = f"; with an objection card p95 {card['p95_ms']} ms, n={card['n']}" if card.get("n") else ""
            lines.append(f"live hint per customer utterance: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms "
                         f"(n={r['utterances']}{carded})")
        if "concurrency" in size:
            c = size["concurrency"]
            lines.append(f"concurrency, {c['trainees']} trainees: turn p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms, "
                         f"errors {c['errors']}/{c['turns_attempted']}, {c['turns_per_s']} turns/s; "
                         f"server peak RSS {c['server_peak_rss_mb']} MB; "
                         f"{c['trainees']} sign-ins p50 {c.get('sign_in', {}).get('p50_ms')} ms")
    if "ingest" in report:
        i = report["ingest"]
        lines.append(f"\ningestion ({i['deals']} deals, {i['turns']} turns, cold cache): {i['deals_per_s']} deals/s, "
                     f"{i['turns_per_s']} turns/s; bare embedding {i['bare_embedding_turns_per_s']} turns/s; "
                     f"ratio {i['ratio_to_bare_embedding']}")
    return "\n".join(lines)


__all__ = ["bench_size", "run_bench", "text_report", "use_home"]
