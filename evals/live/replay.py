"""Replay recorded calls through the live hint processor and count what fires.

    python -m evals.live.replay --dataset ../shared/datasets/agentune-insurance-calls [--json] [--limit N]

Reads ``messages.csv`` (conversation_id, timestamp, message, author) and the outcomes in
``conversations.csv``; each call goes event by event through a fresh LiveAssist (the same path as
``coach hints``). Reports cards per call, and per outcome group the mean number of objection cards whose
objection the rep's next reply did not handle, to see whether "customer objections not handled" calls
show more of them. Nothing from the dataset is written into the project.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel

NOT_HANDLED = "customer objections not handled"


class CallResult(BaseModel):
    conversation_id: str
    outcome: str
    utterances: int
    customer_utterances: int
    cards: dict[str, int]
    objection_cards: int
    unhandled_objection_cards: int
    objections_raised: int
    latencies_ms: list[float] = []


def load_calls(folder: Path, limit: int | None = None) -> list[tuple[str, str, list[dict]]]:
    """(conversation id, outcome, events) per call, in file order."""
    outcomes = {}
    with (folder / "conversations.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            outcomes[row["conversation_id"]] = row.get("outcome") or "unknown"
    calls: dict[str, list[dict]] = defaultdict(list)
    with (folder / "messages.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            author = (row.get("author") or "").strip().lower()
            speaker = "customer" if author == "customer" else "rep"
            ts = (row.get("timestamp") or "").strip().replace(" ", "T") or None
            calls[row["conversation_id"]].append({"speaker": speaker, "text": row.get("message") or "", "ts": ts})
    ids = list(calls)[:limit] if limit else list(calls)
    return [(cid, outcomes.get(cid, "unknown"), calls[cid]) for cid in ids]


def replay_call(kit, conversation_id: str, outcome: str, events: list[dict]) -> CallResult:
    assist = kit.new_call()
    cards: dict[str, int] = defaultdict(int)
    latencies = []
    for event in events:
        started = time.perf_counter()
        hints = assist.process_raw(event)
        if event["speaker"] == "customer" and event["text"].strip():
            latencies.append((time.perf_counter() - started) * 1000.0)
        for hint in hints:
            cards[hint.type] += 1
    assist.finish()
    carded = [o for o in assist.objections if o.card_id]
    return CallResult(
        conversation_id=conversation_id, outcome=outcome, utterances=len(events),
        customer_utterances=sum(e["speaker"] == "customer" for e in events), cards=dict(cards),
        objection_cards=len(carded), unhandled_objection_cards=sum(not o.handled for o in carded),
        objections_raised=len(assist.objections), latencies_ms=latencies,
    )


def summarise(results: list[CallResult]) -> dict:
    """Cards per call and the unhandled-objection comparison by outcome group."""
    kinds = sorted({k for r in results for k in r.cards})
    per_call = {k: round(statistics.fmean(r.cards.get(k, 0) for r in results), 2) for k in kinds}
    groups: dict[str, list[CallResult]] = defaultdict(list)
    for r in results:
        groups[r.outcome].append(r)

    def stats(rows: list[CallResult]) -> dict:
        return {
            "calls": len(rows),
            "objection_cards_per_call": round(statistics.fmean(r.objection_cards for r in rows), 2),
            "unhandled_objection_cards_per_call": round(statistics.fmean(r.unhandled_objection_cards for r in rows), 2),
            "unhandled_share": round(sum(r.unhandled_objection_cards for r in rows)
                                     / max(1, sum(r.objection_cards for r in rows)), 3),
        }

    not_handled = groups.get(NOT_HANDLED, [])
    others = [r for r in results if r.outcome != NOT_HANDLED]
    latencies = sorted(x for r in results for x in r.latencies_ms)
    comparison = None
    if not_handled and others:
        a, b = stats(not_handled), stats(others)
        comparison = {NOT_HANDLED: a, "all other outcomes": b,
                      "more_unhandled_in_not_handled_calls":
                          a["unhandled_objection_cards_per_call"] > b["unhandled_objection_cards_per_call"]}
    return {
        "calls": len(results),
        "utterances": sum(r.utterances for r in results),
        "cards_per_call": per_call,
        "cards_per_call_distribution": {
            "min": min(sum(r.cards.values()) for r in results), "median": statistics.median(
                sum(r.cards.values()) for r in results), "max": max(sum(r.cards.values()) for r in results)},
        "by_outcome": {name: stats(rows) for name, rows in sorted(groups.items())},
        "comparison": comparison,
        "customer_utterance_latency_ms": _percentiles(latencies),
    }


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    def pct(p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))], 2)
    return {"n": len(values), "p50": pct(0.5), "p95": pct(0.95), "max": round(values[-1], 2)}


def run(folder: Path, kit, limit: int | None = None, progress: bool = True) -> tuple[dict, list[CallResult]]:
    calls = load_calls(folder, limit)
    results = []
    started = time.perf_counter()
    for n, (cid, outcome, events) in enumerate(calls, start=1):
        results.append(replay_call(kit, cid, outcome, events))
        if progress and (n % 10 == 0 or n == len(calls)):
            print(f"  {n}/{len(calls)} calls, {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    return summarise(results), results


def _text_report(summary: dict) -> str:
    lines = [f"calls {summary['calls']}, utterances {summary['utterances']}",
             "cards per call (mean): " + ", ".join(f"{k} {v}" for k, v in summary["cards_per_call"].items()),
             "cards per call (all kinds): min {min}, median {median}, max {max}".format(
                 **summary["cards_per_call_distribution"]),
             "by outcome: calls | objection cards/call | unhandled objection cards/call | unhandled share"]
    for name, s in summary["by_outcome"].items():
        lines.append(f"  {name[:60]:60s} {s['calls']:3d} | {s['objection_cards_per_call']:5.2f} | "
                     f"{s['unhandled_objection_cards_per_call']:5.2f} | {s['unhandled_share']:.2f}")
    if summary["comparison"]:
        c = summary["comparison"]
        lines.append(f"'{NOT_HANDLED}' calls: {c[NOT_HANDLED]['unhandled_objection_cards_per_call']} unhandled "
                     f"objection cards/call vs {c['all other outcomes']['unhandled_objection_cards_per_call']} for the "
                     f"rest -> more in not-handled calls: {c['more_unhandled_in_not_handled_calls']}")
    lat = summary["customer_utterance_latency_ms"]
    if lat:
        lines.append(f"latency per customer utterance: p50 {lat['p50']} ms, p95 {lat['p95']} ms (n={lat['n']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("../shared/datasets/agentune-insurance-calls"))
    parser.add_argument("--limit", type=int, default=None, help="replay only the first N calls")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-index", action="store_true", help="skip won-deal moments (no index needed)")
    parser.add_argument("--home", type=Path, default=None, help="COACH_HOME whose index to use")
    args = parser.parse_args(argv)
    if not (args.dataset / "messages.csv").is_file():
        sys.exit(f"error: {args.dataset}/messages.csv not found; pass --dataset with the agentune-insurance-calls folder")
    if args.home:
        from evals.live.bench import use_home

        use_home(args.home)
    from coach.live.factory import default_kit

    kit = default_kit(with_index=not args.no_index)
    kit.warm_up()
    summary, _ = run(args.dataset, kit, args.limit, progress=True)
    print(json.dumps(summary, ensure_ascii=False, indent=2) if args.json else _text_report(summary))


if __name__ == "__main__":
    main()
