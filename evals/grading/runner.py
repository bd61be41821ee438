"""Run the grading calibration: objection detection and reply grading against human-style labels, per language.

The held-out files were written before the playbooks and never used for tuning; tune on ``split="tune"`` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from evals.grading.metrics import macro_f1, per_class_f1, set_f1, spearman
from knowledge.taxonomy import STEPS

DATA_DIR = Path(__file__).parent / "data"
SPLITS = ("tune", "heldout")
TARGETS = {"macro_f1": 0.85, "spearman": 0.7}


def load_rows(kind: str, split: str) -> list[dict]:
    """Rows of ``objections_<split>.jsonl`` or ``replies_<split>.jsonl`` (the ``_meta`` header line skipped)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    path = DATA_DIR / f"{kind}_{split}.jsonl"
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} line {number}: not valid JSON ({exc.msg})") from exc
        if "_meta" not in row:
            rows.append(row)
    return rows


def eval_detection(rows: list[dict], detector) -> dict:
    """Macro/per-class F1; a prediction is right when it is any of the item's labels (two-objection items)."""
    out = {}
    for lang in ("zh", "en"):
        items = [r for r in rows if r["lang"] == lang]
        found = detector.detect_many([r["text"] for r in items])
        pred = [d.objection for d in found]
        gold = [p if p in r["objections"] else r["objections"][0] for r, p in zip(items, pred, strict=True)]
        classes = sorted(set(gold))
        out[lang] = {
            "n": len(items),
            "macro_f1": round(macro_f1(gold, pred), 4),
            "per_class_f1": {c: round(v, 4) for c, v in per_class_f1(gold, pred, classes).items()},
            "errors": [{"text": r["text"], "gold": r["objections"], "pred": p}
                       for r, p in zip(items, pred, strict=True) if p not in r["objections"]],
        }
    return out


def eval_grading(rows: list[dict], grade: Callable) -> dict:
    """Spearman between grader and labelled scores, and step-detection F1 (micro and per step)."""
    out = {}
    for lang in ("zh", "en"):
        items = [r for r in rows if r["lang"] == lang]
        grades = [grade(r["customer"], r["reply"], r["objection"], lang) for r in items]
        gold_steps = [set(r["steps"]) for r in items]
        pred_steps = [{s for s, ok in g.steps.items() if ok} for g in grades]
        out[lang] = {
            "n": len(items),
            "spearman": round(spearman([r["score"] for r in items], [g.score for g in grades]), 4),
            "step_f1": round(set_f1(gold_steps, pred_steps), 4),
            "per_step_f1": {
                s: round(set_f1([g & {s} for g in gold_steps], [p & {s} for p in pred_steps]), 4) for s in STEPS
            },
        }
    return out


def run_grading_eval(split: str = "heldout", detector=None, grade: Callable | None = None,
                     include_errors: bool = False) -> dict:
    """Both evaluations on one split, per language, with the targets and whether each is met."""
    if detector is None:
        from knowledge.detect import get_detector

        detector = get_detector()
    if grade is None:
        from coach.grading import grade_reply

        grade = grade_reply
    detection = eval_detection(load_rows("objections", split), detector)
    grading = eval_grading(load_rows("replies", split), grade)
    if not include_errors:
        for lang in detection.values():
            lang.pop("errors")
    passed = all(detection[lang]["macro_f1"] >= TARGETS["macro_f1"] and
                 grading[lang]["spearman"] >= TARGETS["spearman"] for lang in ("zh", "en"))
    return {"split": split, "detection": detection, "grading": grading, "targets": TARGETS, "passed": passed}
