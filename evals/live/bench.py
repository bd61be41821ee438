"""Latency of live hints per customer utterance on the text path (detection, retrieval, keywords, signals, mood).

    python -m evals.live.bench [--home DIR] [--n 400] [--json]

Customer lines come from the bundled sample deals (Chinese and English), replayed call by call with each
rep line in between, through the configured detector and the index of COACH_HOME (or ``--home``, e.g. a
folder where the 100k-deal index was built). Every utterance is embedded afresh (``--cached`` allows the
persistent embedding cache). Prints p50/p95/max in ms and the index size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from evals.bench.scale import use_home  # noqa: F401 - re-exported for evals.live.replay


class FreshQueries:
    """The model with the per-process memory the product has (an utterance embedded for detection is reused
    by retrieval) but no persistent cache: every utterance is embedded once, cold, as on a live call."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, getattr(inner, "dim", 0)
        self._seen: dict[tuple[str, str], object] = {}

    def embed(self, texts, kind: str = "passage"):
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if (kind, t) not in self._seen]
        if missing:
            self._seen.update({(kind, t): v for t, v in zip(missing, self.inner.embed(missing, kind=kind), strict=True)})
        return np.stack([self._seen[(kind, t)] for t in texts])


def uncached_kit(with_index: bool = True):
    """The default kit, but embedding every utterance afresh: the sample lines sit in the persistent
    embedding cache after a first run, and timing cache hits would flatter the live path."""
    from coach.live.factory import LiveKit
    from knowledge.detect import Detector
    from knowledge.embeddings import get_embedder
    from knowledge.index import HybridIndex, get_index
    from knowledge.playbooks import load_playbooks
    from knowledge.understanding import UnderstandingModel
    from knowledge.understanding.encoder import pair_customer_embedder, understanding_embedder
    from knowledge.understanding.loader import artefact_path
    from knowledge.understanding.twin.embedders import BASE, TUNED, TwinHalf

    embedder, customer_embedder, pair_embedder = get_embedder(), understanding_embedder(), pair_customer_embedder()
    fresh = FreshQueries(getattr(embedder, "inner", embedder))
    if isinstance(customer_embedder, TwinHalf):  # one twin engine call gives both vectors of a line
        joined = FreshQueries(getattr(customer_embedder.joined, "inner", customer_embedder.joined))
        fresh_customers = TwinHalf(joined, TUNED, customer_embedder.name)
        fresh_pairs = fresh_customers.sibling(BASE, pair_embedder.name)
    else:
        fresh_customers = fresh if customer_embedder is embedder else \
            FreshQueries(getattr(customer_embedder, "inner", customer_embedder))
        fresh_pairs = fresh
    # every utterance embedded afresh: by the tuned encoder to detect, by retrieval's model to search (the twin's
    # base half, when the two run as one)
    detector = Detector(UnderstandingModel(artefact_path(), fresh, fresh_customers, fresh_pairs))
    index = None
    if with_index:
        shared = get_index()
        index = HybridIndex(shared.store, shared.bm25, embedder=fresh)
    return LiveKit(detector=detector, playbooks=load_playbooks(), index=index)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


def run(kit, n: int = 400) -> dict:
    from knowledge.sample import load_sample_deals

    deals = load_sample_deals()
    latencies: dict[str, list[float]] = {"zh": [], "en": []}
    cards = 0
    done = 0
    with_card: list[float] = []
    for deal in deals:
        if done >= n:
            break
        assist = kit.new_call()
        for turn in deal.turns:
            event = {"speaker": "customer" if turn.speaker == "customer" else "rep", "text": turn.text}
            started = time.perf_counter()
            hints = assist.process(event)
            elapsed = (time.perf_counter() - started) * 1000.0
            if event["speaker"] == "customer":
                latencies[deal.lang].append(elapsed)
                carded = sum(h.type == "objection_card" for h in hints)
                if carded:
                    with_card.append(elapsed)  # these ran the won-deal retrieval: the slow kind
                cards += carded
                done += 1
    every = latencies["zh"] + latencies["en"]
    size = None
    if kit.index is not None and hasattr(kit.index, "bm25"):
        size = len(kit.index.bm25)
    return {
        "utterances": len(every), "objection_cards": cards, "indexed_turns": size,
        "p50_ms": _pct(every, 0.5), "p95_ms": _pct(every, 0.95), "max_ms": round(max(every), 2),
        "mean_ms": round(statistics.fmean(every), 2),
        "by_lang": {lang: {"n": len(v), "p50_ms": _pct(v, 0.5), "p95_ms": _pct(v, 0.95)}
                    for lang, v in latencies.items() if v},
        "with_objection_card": {"n": len(with_card), "p50_ms": _pct(with_card, 0.5) if with_card else None,
                                "p95_ms": _pct(with_card, 0.95) if with_card else None},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="COACH_HOME whose index to use")
    parser.add_argument("--n", type=int, default=400, help="customer utterances to time")
    parser.add_argument("--no-index", action="store_true", help="time without won-deal retrieval")
    parser.add_argument("--cached", action="store_true",
                        help="allow the persistent embedding cache (default: off, since live utterances are new)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.home:
        use_home(args.home)
    from coach.live.factory import default_kit

    started = time.perf_counter()
    kit = default_kit(with_index=not args.no_index) if args.cached else uncached_kit(not args.no_index)
    kit.warm_up()
    print(f"  loaded detector and index in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    result = run(kit, args.n)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"live hints, text path: {result['utterances']} customer utterances, index {result['indexed_turns']} turns")
    print(f"  p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms "
          f"(mean {result['mean_ms']} ms); objection cards {result['objection_cards']}")
    for lang, s in result["by_lang"].items():
        print(f"  {lang}: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms (n={s['n']})")
    carded = result["with_objection_card"]
    print(f"  with an objection card (won-deal retrieval): p50 {carded['p50_ms']} ms, p95 {carded['p95_ms']} ms "
          f"(n={carded['n']})")


if __name__ == "__main__":
    main()
