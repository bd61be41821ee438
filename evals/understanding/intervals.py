"""95 % intervals for the real dev-set figures, by resampling whole conversations.

A dev half holds ~400 lines from ~200 conversations, and lines of one conversation are not independent, so a
figure's uncertainty comes from resampling conversations (cluster bootstrap), not lines. The same resamples
applied to two models' predictions on the same lines give the interval of their difference (paired), which is
what a "did this change help" decision needs: on these halves a difference of 0.01–0.02 is usually noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Statistic = Callable[[np.ndarray], float]  # a figure computed on the items at these indices

REPLICATES = 1000
SEED = 0


def _clusters(groups: Sequence[str]) -> list[np.ndarray]:
    where: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        where.setdefault(g, []).append(i)
    return [np.array(v, dtype=int) for v in where.values()]


def resamples(groups: Sequence[str], replicates: int = REPLICATES, seed: int = SEED) -> list[np.ndarray]:
    """Item indices of each bootstrap replicate: conversations drawn with replacement, all their items kept."""
    clusters = _clusters(groups)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(clusters), size=(replicates, len(clusters)))
    return [np.concatenate([clusters[j] for j in row]) for row in draws]


def interval(groups: Sequence[str], statistic: Statistic, replicates: int = REPLICATES,
             seed: int = SEED) -> list[float]:
    """[low, high]: the 2.5th and 97.5th percentiles of the figure over conversation resamples."""
    if len(groups) == 0:
        return [0.0, 0.0]
    values = [statistic(idx) for idx in resamples(groups, replicates, seed)]
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def paired_difference(groups: Sequence[str], statistic_a: Statistic, statistic_b: Statistic,
                      replicates: int = REPLICATES, seed: int = SEED) -> dict:
    """B − A on the same lines: the observed difference, its 95 % interval, and the share of resamples in which
    B is not better (a one-sided bootstrap p-value for "B is better")."""
    everything = np.arange(len(groups))
    observed = statistic_b(everything) - statistic_a(everything)
    diffs = np.array([statistic_b(idx) - statistic_a(idx) for idx in resamples(groups, replicates, seed)])
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"difference": round(float(observed), 4), "ci95": [round(float(low), 4), round(float(high), 4)],
            "p_not_better": round(float(np.mean(diffs <= 0)), 4)}
