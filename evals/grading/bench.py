"""Detection latency bench: one utterance at a time after warm-up, printing p50/p95 (never asserted in tests).

Run: .venv/bin/python -m evals.grading.bench [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import time

from evals.grading.runner import load_rows


def bench_detection(rounds: int = 3, detector=None) -> dict:
    """Per-utterance detect() latency in ms over the held-out utterances, plus grade_reply latency."""
    from coach.grading import GradeContext, grade_reply
    from knowledge.detect import get_detector

    detector = detector or get_detector()
    texts = [r["text"] for r in load_rows("objections", "heldout")]
    for text in texts[:10]:  # warm-up
        detector.detect(text)
    times = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            detector.detect(text)
            times.append((time.perf_counter() - start) * 1000)
    pairs = load_rows("replies", "heldout")
    grade_times = []
    for row in pairs:
        start = time.perf_counter()
        grade_reply(row["customer"], row["reply"], row["objection"], row["lang"],
                    context=GradeContext(detector=detector))
        grade_times.append((time.perf_counter() - start) * 1000)
    times.sort()
    grade_times.sort()

    def pct(values, q):
        return round(values[min(len(values) - 1, int(q * len(values)))], 2)

    return {"utterances": len(times), "detect_p50_ms": pct(times, 0.5), "detect_p95_ms": pct(times, 0.95),
            "grade_p50_ms": pct(grade_times, 0.5), "grade_p95_ms": pct(grade_times, 0.95),
            "embedder": detector.embedder.name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    print(json.dumps(bench_detection(parser.parse_args().rounds)))


if __name__ == "__main__":
    main()
