"""How far two annotators agree on the real dev sets: the ceiling to read the model's figures against.

A second annotator labelled every line of the three real dev sets again, by the same guide, without seeing the
first labels (``dev/second_annotator/``, keys only; how, by whom and the caveats: ``dev/second_annotator/NOTES.md``).
The first annotator's labels stay the reference, so the second annotator's figures are on the model's scale:
binary objection F1, type macro-F1, Cohen's kappa, reply-score Spearman, per dev half.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from evals.grading.metrics import macro_f1, spearman
from evals.understanding import data as ud

SECOND_DIR = ud.DEV_DIR / "second_annotator"


def cohen_kappa(first: list, second: list) -> float:
    """Agreement beyond chance on nominal labels (1 = identical, 0 = as good as chance)."""
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    a, b = Counter(first), Counter(second)
    chance = sum(a[k] * b[k] for k in a) / (n * n)
    return (observed - chance) / (1 - chance) if chance < 1 else 1.0


def _second(name: str) -> dict[int, dict]:
    """Second labels by dataset row; a row whose text changed (sha) is dropped, as the loaders drop the first."""
    return {row["row"]: row for _number, row in ud.read_jsonl(SECOND_DIR / name)}


def _matched(rows: list[dict], second: dict[int, dict]) -> list[tuple[dict, dict]]:
    return [(r, second[r["row"]]) for r in rows if r["row"] in second and second[r["row"]]["sha"] == r["sha"]]


def _objections(rows: list[dict], second: dict[int, dict]) -> dict:
    from evals.understanding.runner import binary_f1

    out = {}
    for half in ("tune", "test"):
        pairs = _matched([r for r in rows if r["half"] == half], second)
        first = [r["objection"] for r, _s in pairs]
        other = [s["objection"] for _r, s in pairs]
        out[half] = {"n": len(pairs), "cohen_kappa": round(cohen_kappa(first, other), 4),
                     "binary_f1": round(binary_f1(first, other), 4), "type_macro_f1": round(macro_f1(first, other), 4)}
    return out


def _replies(rows: list[dict], second: dict[int, dict]) -> dict:
    out = {}
    for half in ("tune", "test"):
        pairs = _matched([r for r in rows if r["half"] == half], second)
        first = [r["score"] for r, _s in pairs]
        other = [s["score"] for _r, s in pairs]
        out[half] = {"n": len(pairs), "spearman": round(spearman(first, other), 4),
                     "mean_abs_difference": round(float(np.mean(np.abs(np.subtract(first, other)))), 1),
                     "relevance_agreement": round(float(np.mean([r["relevance"] == s["relevance"] for r, s in pairs])), 4)}
    return out


def agreement(root: Path | None = None) -> dict:
    """Second annotator against the first on each real dev set (needs ../shared/datasets for the texts' sha)."""
    if not SECOND_DIR.is_dir():
        return {"skipped": f"{SECOND_DIR} not found"}
    return {
        "jddc_customer_zh": _objections(ud.load_jddc_customer(root), _second("jddc_customer.jsonl")),
        "persuasion_en": _objections(ud.load_persuasion(root), _second("persuasion_persuadee.jsonl")),
        "jddc_replies_zh": _replies(ud.load_jddc_replies(root), _second("jddc_replies.jsonl")),
        "note": "second annotator vs first on the same lines; see evals/understanding/dev/second_annotator/NOTES.md",
    }


def moves_agreement(rows: list[dict]) -> dict:
    """Second annotator against the first on labelled agentune agent lines (``load_agentune_moves`` rows), per
    half: macro F1 over the moves either used (as ``moves_eval`` computes the heads') and exact match."""
    from evals.understanding.train_moves import MOVES, _macro, f1, targets

    path = SECOND_DIR / "agentune_rep_moves.jsonl"
    if not path.is_file():
        return {}
    second = {(r["conversation"], r["sha"]): r for _number, r in ud.read_jsonl(path)}
    out = {}
    for half in ("tune", "test"):
        part = [r for r in rows if r["half"] == half and (r["conversation"], r["sha"]) in second]
        if not part:
            continue
        first, other = targets(part), targets([second[(r["conversation"], r["sha"])] for r in part])
        out[half] = {"lines": len(part),
                     "macro_f1": _macro({m: f1(first[:, j], other[:, j]) for j, m in enumerate(MOVES)}),
                     "exact": round(float(np.mean(np.all(first == other, axis=1))), 3)}
    return out
