"""What the learned rep-move reading adds to a turn: ``python -m evals.understanding.moves_bench``.

In a graded turn the reply's embedding is already in the embedder's cache (grading embeds the same key), so
the turn pays for the cue features, one dot product and the cache look-up. The bench warms the cache with the
replies (as grading would), then times the old cue-only reading and the learned ``read_move`` on the same
replies, and prints per-reply medians and p95s in milliseconds.
"""

from __future__ import annotations

import json
import time

import numpy as np


def _times(fn, texts, rounds: int) -> np.ndarray:
    out = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - start) * 1000)
    return np.array(out)


def main() -> None:
    import argparse

    from coach.roleplay.rep_moves import cue_features, read_cues, read_move
    from evals.understanding.train_moves import load_moves
    from knowledge.understanding.moves import get_moves, reply_key

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = [r["text"] for r in load_moves()][: args.replies]
    model = get_moves()
    model.embedder.embed([reply_key(t) for t in texts], kind="query")  # what grading did earlier in the turn
    read_move(texts[0])  # load everything once
    vectors = model.embedder.embed([reply_key(t) for t in texts], kind="query")
    figures = {}
    for name, fn in (("cue_reading_ms", read_cues),
                     ("head_only_ms", lambda t, v=vectors[0]: model.probabilities([t], [cue_features(t)], v[None])),
                     ("read_move_ms", read_move)):
        ms = _times(fn, texts, args.rounds)
        figures[name] = {"p50": round(float(np.median(ms)), 3), "p95": round(float(np.percentile(ms, 95)), 3)}
    figures["added_by_head_p50_ms"] = round(figures["read_move_ms"]["p50"] - figures["cue_reading_ms"]["p50"], 3)
    print(json.dumps({"replies": len(texts), "rounds": args.rounds, **figures}))


if __name__ == "__main__":
    main()
