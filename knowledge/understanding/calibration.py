"""P(objection) recalibrated from the team's training mix to real conversations (a prior shift).

The objection head and the neighbour vote learn from team-written lines of which about half are objections;
in real shop chats and persuasion dialogues about one customer line in ten is. A probability calibrated on the
training mix is therefore too sure of objections on real words (ECE 0.11 on the real tune halves). Bayes'
rule moves a posterior from one class prior to another by adding ``logit(prior) − logit(train_share)`` to its
log-odds. ``train_share`` is counted from the lines the head learned from (so it follows the data); ``prior``
is the one scalar chosen on the real dev tune halves (README). The decision threshold moves with it, so which
lines are read as objections does not change, only how sure the reading says it is.

A ``temperature`` above 1 also softens the log-odds first. Heads on a tuned encoder need it: the encoder was
tuned on the very lines the heads' out-of-fold temperatures are fitted on, so those look easier than unseen
lines and the head comes out too sure of itself (tune ECE 0.054 at any prior; README). Like the prior, it is
chosen on the real dev tune halves, and it is monotone, so it moves no decision either.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@dataclass(frozen=True)
class PriorShift:
    """Calibrated P(objection) = σ(logit(p) / temperature + shift), shift = logit(prior) − logit(train_share)."""

    prior: float = 0.25  # the share of objections the probabilities are calibrated for (real conversations)
    train_share: float = 0.5  # the share among the lines the head and the vote learned from (counted)
    temperature: float = 1.0  # > 1 softens an over-sure head (see above)

    @property
    def shift(self) -> float:
        return float(logit(self.prior) - logit(self.train_share))

    def apply(self, p) -> np.ndarray:
        """The training-mix probability ``p`` as a probability for real conversations."""
        return _sigmoid(logit(p) / self.temperature + self.shift)

    def invert(self, p) -> np.ndarray:
        """Back to the training-mix probability (what the reply heads were trained to read)."""
        return _sigmoid((logit(p) - self.shift) * self.temperature)

    def threshold(self, raw: float) -> float:
        """The calibrated image of a decision threshold set on the training-mix probability."""
        return float(self.apply(raw))

    def to_json(self) -> dict:
        """Without a temperature of 1, so an artefact without one is written as before."""
        out = asdict(self)
        if out["temperature"] == 1.0:
            del out["temperature"]
        return out
