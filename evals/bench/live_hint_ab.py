"""A/B of the live hint with and without the pinned won-deal slices, interleaved in one process.

    python -m evals.bench.live_hint_ab --home /tmp/coach-bench/deals-100000 --rounds 5 --n 400 [--json]

The machine is shared, so two runs minutes apart measure the load as much as the code. Here both variants
process the same customer utterances in the same process, alternating which goes first (A/B, then B/A), each
utterance embedded afresh for both; per round it reports p50/p95 of each, then the median over rounds. It also
replays every card-worthy customer line of the sample deals through the won-deal lookup both ways and counts
how often the card's moments (deal, line, rep's next line) differ. Per-phase times (understanding read,
vector search, keyword search) show where the rest of the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

VARIANTS = ("store", "pinned")  # A: the stores answer every query as before; B: warmed slices answer the card's


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


class _Phases:
    """Adds each wrapped call's wall time (ms) to the running utterance's phase totals."""

    def __init__(self) -> None:
        self.now: dict[str, float] = {}

    def wrap(self, obj, name: str, label: str) -> None:
        inner = getattr(obj, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.now[label] = self.now.get(label, 0.0) + (time.perf_counter() - started) * 1000.0

        setattr(obj, name, timed)


def _use(index, variant: str) -> None:
    index.pins.enabled = index.bm25.use_pins = variant == "pinned"


def _events(n: int) -> list[list[dict]]:
    """The sample deals as calls (lists of events), cut after ``n`` customer utterances."""
    from knowledge.sample import load_sample_deals

    calls, count = [], 0
    for deal in load_sample_deals():
        if count >= n:
            break
        calls.append([{"speaker": "customer" if t.speaker == "customer" else "rep", "text": t.text}
                      for t in deal.turns])
        count += sum(t.speaker == "customer" for t in deal.turns)
    return calls


def timing_rounds(kit, rounds: int, n: int) -> list[dict]:
    """Per round, per variant: latency of every customer utterance, plus the per-phase split."""
    index, fresh = kit.index, kit.index.embedder
    phases = _Phases()
    phases.wrap(kit.detector, "detect", "understanding")
    phases.wrap(index.store, "query", "vector_store")
    phases.wrap(index.pins, "query", "pinned")
    phases.wrap(index.bm25, "search", "keyword")
    calls = _events(n)
    out = []
    for r in range(rounds):
        times = {v: [] for v in VARIANTS}
        carded = {v: [] for v in VARIANTS}
        split = {v: {} for v in VARIANTS}
        for c, call in enumerate(calls):
            assists = {v: kit.new_call() for v in VARIANTS}
            for e, event in enumerate(call):
                order = VARIANTS if (r + c + e) % 2 == 0 else VARIANTS[::-1]
                for variant in order:
                    _use(index, variant)
                    fresh._seen.clear()  # both variants embed the utterance afresh, as a live call does
                    phases.now = {}
                    started = time.perf_counter()
                    hints = assists[variant].process(event)
                    ms = (time.perf_counter() - started) * 1000.0
                    if event["speaker"] != "customer":
                        continue
                    times[variant].append(ms)
                    if any(h.type == "objection_card" for h in hints):
                        carded[variant].append(ms)
                    for label, spent in phases.now.items():
                        split[variant].setdefault(label, []).append(spent)
        _use(index, "pinned")
        out.append({v: {"n": len(times[v]), "p50_ms": _pct(times[v], 0.5), "p95_ms": _pct(times[v], 0.95),
                        "card_n": len(carded[v]), "card_p50_ms": _pct(carded[v], 0.5),
                        "card_p95_ms": _pct(carded[v], 0.95),
                        "phases_p95_ms": {k: _pct(vals, 0.95) for k, vals in sorted(split[v].items())}}
                    for v in VARIANTS})
        print(f"  round {r + 1}: " + "; ".join(f"{v} p50 {out[-1][v]['p50_ms']} p95 {out[-1][v]['p95_ms']} "
                                               f"(card p95 {out[-1][v]['card_p95_ms']})" for v in VARIANTS),
              file=sys.stderr, flush=True)
    return out


def agreement(kit) -> dict:
    """Every customer line of the sample deals with a carded objection: the card's moments both ways."""
    from coach.live.assist import LiveAssist
    from knowledge.sample import load_sample_deals

    index = kit.index
    assist = LiveAssist(kit.detector, kit.playbooks, index=index)
    same = same_set = compared = 0
    examples = []
    wall: dict[str, list[float]] = {v: [] for v in VARIANTS}
    cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for deal in load_sample_deals():
        for turn in deal.turns:
            if turn.speaker != "customer":
                continue
            detection = kit.detector.detect(turn.text, deal.lang)  # embeds the line: both lookups reuse it
            if detection.objection not in kit.playbooks:
                continue
            got = {}
            for variant in (VARIANTS if compared % 2 else VARIANTS[::-1]):
                _use(index, variant)
                started, spent = time.perf_counter(), time.process_time()
                got[variant] = [(m.deal_id, m.text, m.next_rep)
                                for m in assist.moments(turn.text, detection.objection, deal.lang)]
                cpu[variant].append((time.process_time() - spent) * 1000.0)
                wall[variant].append((time.perf_counter() - started) * 1000.0)
            _use(index, "pinned")
            compared += 1
            same += got["store"] == got["pinned"]
            same_set += set(got["store"]) == set(got["pinned"])
            if got["store"] != got["pinned"] and len(examples) < 3:
                examples.append({"text": turn.text, "objection": detection.objection, **got})
    return {"cards_compared": compared, "identical": same, "same_lines_any_order": same_set,
            "identical_rate": round(same / compared, 4) if compared else None, "examples": examples,
            # the won-deal lookup alone (the line already embedded): wall time, and CPU time of the process,
            # which a busy machine inflates far less
            "lookup_ms": {v: {"wall_p50": _pct(wall[v], 0.5), "wall_p95": _pct(wall[v], 0.95),
                              "cpu_p50": _pct(cpu[v], 0.5), "cpu_p95": _pct(cpu[v], 0.95)} for v in VARIANTS}}


def run(home: Path | None, rounds: int, n: int, compare: bool = True) -> dict:
    from evals.bench.scale import use_home
    from evals.live.bench import uncached_kit

    if home is not None:
        use_home(home)
    started = time.perf_counter()
    kit = uncached_kit()
    kit.detector.detect("warm up", None)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    kit.warm_up()  # builds the masks and the pinned slices
    warm = time.perf_counter() - started
    pins = kit.index.pins
    report = {"indexed_turns": len(kit.index.bm25), "load_s": round(loaded, 1), "warm_up_s": round(warm, 1),
              "pinned_rows": pins.rows, "pinned_mb": round(pins.nbytes / 2**20, 1),
              "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    report["rounds"] = timing_rounds(kit, rounds, n)
    report["median_over_rounds"] = {
        v: {key: statistics.median(r[v][key] for r in report["rounds"] if r[v][key] is not None)
            for key in ("p50_ms", "p95_ms", "card_p95_ms")} for v in VARIANTS}
    if compare:
        report["moments_agreement"] = agreement(kit)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="COACH_HOME whose index to use")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=400, help="customer utterances per round")
    parser.add_argument("--no-compare", action="store_true", help="skip the moments agreement check")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.home, args.rounds, args.n, compare=not args.no_compare)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    med = report["median_over_rounds"]
    print(f"live hint A/B over {report['indexed_turns']} indexed turns, {len(report['rounds'])} interleaved rounds, "
          f"load average {report['load_average_at_start']} -> {report['load_average_at_end']}")
    print(f"  pinned slices: {report['pinned_rows']} rows, {report['pinned_mb']} MB, warm-up {report['warm_up_s']} s")
    for v in VARIANTS:
        print(f"  {v}: median p50 {med[v]['p50_ms']} ms, median p95 {med[v]['p95_ms']} ms, "
              f"with a card median p95 {med[v]['card_p95_ms']} ms")
    if "moments_agreement" in report:
        a = report["moments_agreement"]
        print(f"  card moments identical in {a['identical']}/{a['cards_compared']} lookups "
              f"(same lines in any order: {a['same_lines_any_order']})")
        for v, t in a["lookup_ms"].items():
            print(f"  won-deal lookup, {v}: wall p50 {t['wall_p50']} / p95 {t['wall_p95']} ms, "
                  f"CPU p50 {t['cpu_p50']} / p95 {t['cpu_p95']} ms")


if __name__ == "__main__":
    main()
