"""Coverage and variety figures for a deal corpus, and the requirements the curated sample must meet.

``python -m evals.corpus.stats [FILE.jsonl]`` prints the figures as JSON (default: the shipped sample).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from knowledge.records import DealRecord
from knowledge.taxonomy import ACTS, OBJECTION_TYPES, SEGMENTS

# What "well covered" means for the curated sample (issue 3 §5); checked by curate and by the tests.
MIN_DEALS = 320
MIN_PER_INDUSTRY = 30
MIN_PER_INDUSTRY_SEGMENT = 8
MIN_OUTCOME_SHARE = 0.2
MIN_EN_SHARE = 0.22
MIN_DISTINCT = {"zh": 25, "en": 12}
MIN_DISTINCT_CUSTOMER_RATIO = 0.85
TURN_RANGE = (8, 30)


def corpus_stats(deals: Iterable[DealRecord]) -> dict:
    """Counts per industry/segment/outcome/language and how varied the customer lines are."""
    n = turns = 0
    by = {key: Counter() for key in ("industry", "segment", "outcome", "lang")}
    industry_segment: dict[str, Counter] = defaultdict(Counter)
    acts, signals = Counter(), Counter()
    customer_total, customer_texts = 0, set()
    objection_texts: dict[str, dict[str, set]] = {t: {"zh": set(), "en": set()} for t in OBJECTION_TYPES}
    turn_lengths = []
    for deal in deals:
        n += 1
        turns += len(deal.turns)
        turn_lengths.append(len(deal.turns))
        for key in by:
            by[key][getattr(deal, key)] += 1
        industry_segment[deal.industry][deal.segment] += 1
        for turn in deal.turns:
            if turn.speaker == "rep":
                continue
            acts[turn.act or "unlabelled"] += 1
            signals.update(turn.signals)
            if turn.speaker == "customer":
                customer_total += 1
                customer_texts.add(turn.text)
            for objection in turn.objections:
                objection_texts.setdefault(objection, {"zh": set(), "en": set()})[deal.lang].add(turn.text)
    return {
        "deals": n,
        "turns": turns,
        "turns_per_deal": {"min": min(turn_lengths, default=0), "max": max(turn_lengths, default=0)},
        "industries": dict(sorted(by["industry"].items())),
        "segments": dict(sorted(by["segment"].items())),
        "outcomes": dict(sorted(by["outcome"].items())),
        "langs": dict(sorted(by["lang"].items())),
        "en_share": round(by["lang"]["en"] / n, 3) if n else 0.0,
        "industry_segments": {k: dict(sorted(v.items())) for k, v in sorted(industry_segment.items())},
        "customer_lines": {"total": customer_total, "distinct": len(customer_texts),
                           "distinct_ratio": round(len(customer_texts) / customer_total, 3) if customer_total else 0.0},
        "distinct_objection_lines": {t: {lang: len(v) for lang, v in langs.items()}
                                     for t, langs in objection_texts.items()},
        "acts": dict(sorted(acts.items())),
        "signals": dict(sorted(signals.items())),
    }


def sample_problems(stats: dict) -> list[str]:
    """Every way ``stats`` falls short of the sample requirements; empty when the corpus is fine."""
    problems = []
    if stats["deals"] < MIN_DEALS:
        problems.append(f"only {stats['deals']} deals, need {MIN_DEALS}")
    for industry, count in stats["industries"].items():
        if count < MIN_PER_INDUSTRY:
            problems.append(f"industry {industry}: {count} deals, need {MIN_PER_INDUSTRY}")
        for segment in SEGMENTS:
            got = stats["industry_segments"][industry].get(segment, 0)
            if got < MIN_PER_INDUSTRY_SEGMENT:
                problems.append(f"industry {industry} segment {segment}: {got} deals, need {MIN_PER_INDUSTRY_SEGMENT}")
    for outcome in ("won", "lost", "open"):
        share = stats["outcomes"].get(outcome, 0) / max(stats["deals"], 1)
        if share < MIN_OUTCOME_SHARE:
            problems.append(f"outcome {outcome}: share {share:.2f}, need {MIN_OUTCOME_SHARE}")
    if stats["en_share"] < MIN_EN_SHARE:
        problems.append(f"English share {stats['en_share']}, need {MIN_EN_SHARE}")
    lo, hi = TURN_RANGE
    if stats["turns_per_deal"]["min"] < lo or stats["turns_per_deal"]["max"] > hi:
        problems.append(f"turns per deal {stats['turns_per_deal']}, need {lo}-{hi}")
    if stats["customer_lines"]["distinct_ratio"] < MIN_DISTINCT_CUSTOMER_RATIO:
        problems.append(f"distinct customer lines {stats['customer_lines']['distinct_ratio']}, "
                        f"need {MIN_DISTINCT_CUSTOMER_RATIO}")
    for objection in OBJECTION_TYPES:
        for lang, minimum in MIN_DISTINCT.items():
            got = stats["distinct_objection_lines"].get(objection, {}).get(lang, 0)
            if got < minimum:
                problems.append(f"objection {objection} ({lang}): {got} distinct wordings, need {minimum}")
    unknown_acts = set(stats["acts"]) - set(ACTS)
    if unknown_acts:
        problems.append(f"customer turns with missing/unknown acts: {sorted(unknown_acts)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.corpus.stats",
                                     description="Print corpus figures as JSON. "
                                                 "Example: python -m evals.corpus.stats /tmp/deals.jsonl")
    parser.add_argument("file", nargs="?", type=Path, help="a deals .jsonl (default: the shipped sample)")
    args = parser.parse_args(argv)
    from knowledge.sample import iter_deal_lines, load_sample_deals

    if args.file is None:
        deals = load_sample_deals()
    else:
        deals = iter_deal_lines(args.file.open(encoding="utf-8"), source=str(args.file))
    stats = corpus_stats(deals)
    stats["sample_problems"] = sample_problems(stats) if args.file is None else None
    print(json.dumps(stats, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
