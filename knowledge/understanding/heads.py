"""Linear heads on feature vectors: softmax, sigmoid (one per label) or linear, with a calibration temperature.

Inference is plain numpy (microseconds per line); training lives in ``evals.understanding.train`` and only
hands the fitted coefficients over. A head is stored as a few arrays in the artefact's ``.npz``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


@dataclass
class LinearHead:
    """``kind`` is 'softmax' (one label of many), 'sigmoid' (each label yes/no) or 'linear' (a number)."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (features, outputs)
    bias: np.ndarray  # (outputs,)
    kind: str
    temperature: float = 1.0  # fitted on out-of-fold logits: the probabilities are calibrated

    def logits(self, features: np.ndarray) -> np.ndarray:
        return (features @ self.weights + self.bias) / self.temperature

    def predict(self, features: np.ndarray) -> np.ndarray:
        logits = self.logits(features)
        if self.kind == "softmax":
            return softmax(logits)
        if self.kind == "sigmoid":
            return sigmoid(logits)
        return logits

    def save(self, prefix: str, out: dict) -> None:
        out[f"{prefix}.weights"] = self.weights.astype(np.float32)
        out[f"{prefix}.bias"] = self.bias.astype(np.float32)
        out[f"{prefix}.meta"] = np.array([self.kind, str(self.temperature), *self.labels])

    @classmethod
    def load(cls, prefix: str, data) -> LinearHead:
        meta = [str(x) for x in data[f"{prefix}.meta"].tolist()]
        return cls(labels=tuple(meta[2:]), weights=np.asarray(data[f"{prefix}.weights"], dtype=np.float32),
                   bias=np.asarray(data[f"{prefix}.bias"], dtype=np.float32), kind=meta[0],
                   temperature=float(meta[1]))


def fit_temperature(logits: np.ndarray, targets: np.ndarray, kind: str) -> float:
    """The temperature that minimises the negative log-likelihood of held-out logits (a 1-D search)."""
    best, best_t = np.inf, 1.0
    for t in np.exp(np.linspace(np.log(0.3), np.log(5.0), 120)):
        scaled = logits / t
        if kind == "softmax":
            probs = softmax(scaled)
            nll = -np.mean(np.log(np.clip(probs[np.arange(len(targets)), targets], 1e-9, 1.0)))
        else:
            probs = sigmoid(scaled)
            nll = -np.mean(targets * np.log(np.clip(probs, 1e-9, 1)) + (1 - targets) * np.log(np.clip(1 - probs, 1e-9, 1)))
        if nll < best:
            best, best_t = nll, float(t)
    return round(best_t, 4)
