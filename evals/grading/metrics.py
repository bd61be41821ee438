"""Small, dependency-free metrics: per-class and macro F1, set F1, Spearman's rank correlation."""

from __future__ import annotations

import numpy as np


def per_class_f1(gold: list[str], pred: list[str], classes: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        out[c] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return out


def macro_f1(gold: list[str], pred: list[str]) -> float:
    classes = sorted(set(gold))  # classes present in the gold labels
    scores = per_class_f1(gold, pred, classes)
    return sum(scores.values()) / len(scores) if scores else 0.0


def set_f1(gold: list[set[str]], pred: list[set[str]]) -> float:
    """Micro F1 over set items (e.g. the steps present in each reply)."""
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def _ranks(values: list[float]) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[order[j + 1]] == values[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1  # ties share their average rank
        i = j + 1
    return ranks


def spearman(a: list[float], b: list[float]) -> float:
    if len(a) < 2:
        return 0.0
    ra, rb = _ranks(a), _ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])
