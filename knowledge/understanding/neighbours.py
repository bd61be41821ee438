"""Nearest labelled lines as a second opinion beside the linear objection head.

A linear head on a sentence vector draws one boundary per class across the whole space; a short real line
(「有没有优惠啊」, "What about 900?") often sits closest to a handful of team-written lines that say the same
thing in other words, and the boundary misses them. A similarity-weighted vote of the k nearest training
lines catches those, and the linear head keeps the vote honest where neighbours are far or mixed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


def neighbour_vote(bank: np.ndarray, labels: np.ndarray, queries: np.ndarray, classes: int, k: int,
                   temperature: float, smoothing: float, exclude_self: bool = False,
                   near: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(n, classes) probabilities: softmax(similarity / temperature)-weighted counts of the k nearest labels,
    smoothed towards uniform by ``smoothing`` pseudo-votes (so one far neighbour is not certainty).

    ``exclude_self`` is for leave-one-out on the bank itself (queries are the bank, row i is not its own
    neighbour). ``near`` is a ``nearest_rows`` result already found for these queries (two votes over one
    bank with other labels share it)."""
    n = len(queries)
    out = np.zeros((n, classes), dtype=np.float64)
    if n == 0 or len(bank) == 0:
        return out + 1.0 / classes
    idx, sims = near if near is not None else nearest_rows(bank, queries, k, exclude_self)
    k = idx.shape[1]
    weights = np.exp((sims - sims.max(axis=1, keepdims=True)) / temperature)
    rows = np.repeat(np.arange(n), k)
    np.add.at(out, (rows, labels[idx].ravel()), weights.ravel())
    return (out + smoothing / classes) / (out.sum(axis=1, keepdims=True) + smoothing)


def nearest_rows(bank: np.ndarray, queries: np.ndarray, k: int, exclude_self: bool = False):
    """(indices, similarities) of the k most similar bank rows per query, in no particular order."""
    k = min(k, len(bank) - int(exclude_self))
    sims = queries @ bank.T
    if exclude_self:
        np.fill_diagonal(sims, -np.inf)
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return idx, np.take_along_axis(sims, idx, axis=1)


@dataclass(frozen=True)
class Blend:
    """How the vote joins the linear head: ``type_weight`` (linear share) ranks the objection types,
    ``binary_weight`` (linear share) decides P(objection). Chosen on the real dev tune halves (README)."""

    k: int = 10
    temperature: float = 0.01
    smoothing: float = 0.1
    type_weight: float = 0.5
    binary_weight: float = 0.7

    def combine(self, linear: np.ndarray, vote: np.ndarray, none_index: int) -> np.ndarray:
        """One distribution whose P(none) is 1 − the blended P(objection) and whose types share the rest in
        the order of the type blend."""
        p_objection = 1.0 - (self.binary_weight * linear + (1 - self.binary_weight) * vote)[:, none_index]
        types = self.type_weight * linear + (1 - self.type_weight) * vote
        types[:, none_index] = 0.0
        types = types / np.maximum(types.sum(axis=1, keepdims=True), 1e-12)
        out = types * p_objection[:, None]
        out[:, none_index] = 1.0 - p_objection
        return out

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PairVote:
    """The nearest team-written (customer, reply) pairs vote on one anti-pattern beside its head.

    Pairs are compared by ``customer_share``·cos(customers) + (1 − share)·cos(replies), which is one dot
    product of the two vectors stacked with √share weights. An in-domain non-answer (「请私信我们您的订单号」,
    an upsell after a delivery question) sits next to the team's labelled deflections even where the linear
    head reads it as on topic. Shares chosen on the JDDC tune half and the team's hard negatives (README)."""

    label: str = "ignore_objection"
    customer_share: float = 0.3
    k: int = 10
    temperature: float = 0.02
    smoothing: float = 0.1
    weight: float = 0.5  # the head's share of the blended probability
    raise_only: bool = True  # the vote may add doubt, never clear a reply the head flagged (see blend)

    def stack(self, customer_vectors: np.ndarray, reply_vectors: np.ndarray) -> np.ndarray:
        return np.hstack([np.sqrt(self.customer_share) * customer_vectors,
                          np.sqrt(1.0 - self.customer_share) * reply_vectors]).astype(np.float32)

    def nearest(self, bank: np.ndarray, customer_vectors: np.ndarray, reply_vectors: np.ndarray):
        """The k nearest bank pairs per (customer, reply): what ``blend`` votes with (shareable by another vote
        over the same bank with the same ``customer_share`` and ``k``)."""
        return nearest_rows(bank, self.stack(customer_vectors, reply_vectors), self.k)

    def blend(self, head: np.ndarray, bank: np.ndarray, labels: np.ndarray, customer_vectors: np.ndarray,
              reply_vectors: np.ndarray, near: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """The head's P(label) per pair, blended with the neighbours' vote.

        With ``raise_only`` the blend never lowers the head's reading: a string of playbook words lies next to
        good replies that use the same words, and their vote must not clear what the head caught."""
        vote = neighbour_vote(bank, labels.astype(int), self.stack(customer_vectors, reply_vectors), 2, self.k,
                              self.temperature, self.smoothing, near=near)[:, 1]
        blended = self.weight * head + (1.0 - self.weight) * vote
        return np.maximum(head, blended) if self.raise_only else blended

    def to_json(self) -> dict:
        return asdict(self)
