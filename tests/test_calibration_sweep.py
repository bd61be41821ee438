"""The calibration sweep (evals/understanding/calibration_sweep.py) picks the temperature and prior that make an
over-sure head honest, by the documented rule (lowest ECE within 1 % of the best log-loss)."""

from __future__ import annotations

import numpy as np

from evals.understanding.calibration_sweep import sweep
from knowledge.understanding.calibration import PriorShift, logit


def _synthetic(true_logit: np.ndarray, rng) -> np.ndarray:
    return (rng.random(len(true_logit)) < 1 / (1 + np.exp(-true_logit))).astype(float)


def test_an_over_sure_head_gets_a_temperature_near_its_overconfidence():
    rng = np.random.default_rng(0)
    truth = rng.normal(-1.2, 1.5, 20000)  # about one line in four is an objection
    y = _synthetic(truth, rng)
    # what the head says on a training mix of one in two, twice as sure as it should be
    head = 1 / (1 + np.exp(-(2.0 * (truth - logit(0.25)) + logit(0.5))))
    chosen = [r for r in sweep(head, y, share=0.5) if r.get("chosen")]
    assert len(chosen) == 1
    assert chosen[0]["temperature"] >= 1.8 and chosen[0]["prior"] in (0.2, 0.25, 0.3)
    assert chosen[0]["ece"] < 0.02


def test_an_honest_head_keeps_temperature_one():
    rng = np.random.default_rng(1)
    truth = rng.normal(-1.2, 1.5, 20000)
    y = _synthetic(truth, rng)
    head = PriorShift(prior=0.25, train_share=0.5).invert(1 / (1 + np.exp(-truth)))  # honest after the shift
    chosen = next(r for r in sweep(head, y, share=0.5) if r.get("chosen"))
    assert chosen["temperature"] == 1.0 and chosen["prior"] == 0.25
