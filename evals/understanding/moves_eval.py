"""Measure the rep-move heads against the cue list they replace: ``python -m evals.understanding.moves_eval --json``.

Figures are recomputed from the shipped (or retrained) artefact and the labelled files, not copied from the
artefact's meta: per move F1 on the held-out fifth of the team-written lines (``data.split_of`` by text, never
trained on), head beside cues, by language; and, when ``evals/understanding/dev/agentune_rep_moves.jsonl`` and
``../shared/datasets`` are present, on the test half of real insurance-call agent lines nobody on the team wrote
(and, for choosing only, on their tune half); likewise in Chinese on JDDC service-agent replies
(``dev/jddc_rep_moves.jsonl``, keys ``jddc_test_real_words`` / ``jddc_tune_real_words``, or
``jddc_real_words_skipped`` with the reason when ``../shared/datasets`` is absent).
``rep_moves_report()`` returns the same dict for ``coach eval understanding`` (key ``rep_moves``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.understanding.data import split_of
from evals.understanding.train_moves import MOVES, MOVES_DIR, _macro, cue_decisions, f1, load_moves, targets


def _scores(rows: Sequence[dict], model=None) -> dict:
    """Head and cue F1 per move on ``rows``, overall and by language, with exact-match rates."""
    from coach.roleplay.rep_moves import cue_features, read_cues
    from knowledge.understanding.moves import get_moves

    if not rows:
        return {"lines": 0}
    model = model or get_moves()
    texts = [r["text"] for r in rows]
    probs = model.probabilities(texts, [cue_features(t) for t in texts])
    order = [model.moves.index(m) for m in MOVES]
    head = model.decide(probs)[:, order].astype(int)
    cue = cue_decisions(rows, read_cues)
    y = targets(rows)
    langs = np.array([r["lang"] for r in rows])
    out = {"lines": len(rows),
           "f1": {m: f1(y[:, j], head[:, j]) for j, m in enumerate(MOVES)},
           "f1_cues": {m: f1(y[:, j], cue[:, j]) for j, m in enumerate(MOVES)},
           "exact": round(float(np.mean(np.all(head == y, axis=1))), 3),
           "exact_cues": round(float(np.mean(np.all(cue == y, axis=1))), 3)}
    out["macro_f1"], out["macro_f1_cues"] = _macro(out["f1"]), _macro(out["f1_cues"])
    for lang in ("zh", "en"):
        mask = langs == lang
        if mask.any():
            out[f"macro_f1_{lang}"] = _macro({m: f1(y[mask, j], head[mask, j]) for j, m in enumerate(MOVES)})
            out[f"macro_f1_cues_{lang}"] = _macro({m: f1(y[mask, j], cue[mask, j]) for j, m in enumerate(MOVES)})
    return out


def rep_moves_report(folder: Path = MOVES_DIR, model=None) -> dict:
    """The rep-move figures: team-written held-out lines, and real agent lines when their labels are present.
    ``model``: a ``MovesModel`` to measure (default: the one the app loads)."""
    from knowledge.understanding.moves import get_moves

    model = model or get_moves()
    rows = [r for r in load_moves(folder) if split_of(r["text"]) == "heldout"]
    report = {"artefact": str(model.path),
              "heldout_team_written": _scores(rows, model),
              "note": "held-out: team-written lines (1 in 5 by sha1 of the text), never trained on"}
    try:
        from evals.understanding.agentune_moves import load_agentune_moves

        real = load_agentune_moves()
    except (ImportError, FileNotFoundError):
        real = None
    if real:
        report["agentune_test_real_words"] = _scores([r for r in real if r["half"] == "test"], model)
        # the tune half is for choosing (thresholds, data): printed so nobody has to peek at the test half
        report["agentune_tune_real_words"] = _scores([r for r in real if r["half"] == "tune"], model)
        from evals.understanding.agreement import moves_agreement

        # a second annotator on the same lines: how far two readers agree, the ceiling for the figures above
        report["agentune_second_annotator"] = moves_agreement(real)
    # Chinese real words: JDDC service-agent replies (labels in dev/jddc_rep_moves.jsonl, text from ../shared)
    from evals.understanding.jddc_moves import load_jddc_moves

    try:
        jddc = load_jddc_moves()
    except FileNotFoundError as exc:
        report["jddc_real_words_skipped"] = f"{exc}; put the datasets folder next to the checkout to get this figure"
    else:
        report["jddc_test_real_words"] = _scores([r for r in jddc if r["half"] == "test"], model)
        report["jddc_tune_real_words"] = _scores([r for r in jddc if r["half"] == "tune"], model)
    return report


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    report = rep_moves_report()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    for name, scores in report.items():
        if name.endswith("_skipped"):
            print(f"{name}: {scores}")
        if not isinstance(scores, dict):
            continue
        if name.endswith("_second_annotator"):
            for half, value in scores.items():
                print(f"{name} ({half}): {value['lines']} lines, macro F1 {value['macro_f1']}, exact {value['exact']}")
            continue
        print(f"{name}: {scores['lines']} lines, macro F1 head {scores['macro_f1']} vs cues {scores['macro_f1_cues']}, "
              f"exact {scores['exact']} vs {scores['exact_cues']}")
        for move in MOVES:
            print(f"  {move:20s} head {scores['f1'][move]}  cues {scores['f1_cues'][move]}")


if __name__ == "__main__":
    main()
