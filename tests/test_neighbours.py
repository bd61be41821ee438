"""The nearest-lines vote beside the linear objection head (knowledge/understanding/neighbours.py)."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.understanding.neighbours import Blend, neighbour_vote


def unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


BANK = unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1]])
LABELS = np.array([0, 0, 1, 1, 2])


def test_the_vote_follows_the_nearest_labelled_lines():
    vote = neighbour_vote(BANK, LABELS, unit([[1, 0.05, 0], [0.05, 1, 0]]), classes=3, k=2, temperature=0.05,
                          smoothing=0.1)
    assert vote.shape == (2, 3)
    assert np.allclose(vote.sum(axis=1), 1.0)
    assert vote[0].argmax() == 0 and vote[1].argmax() == 1


def test_smoothing_keeps_a_far_vote_from_being_certain():
    vote = neighbour_vote(BANK, LABELS, unit([[0, 0, 1]]), classes=3, k=1, temperature=0.05, smoothing=1.0)
    assert vote[0, 2] == pytest.approx((1 + 1 / 3) / 2)
    assert vote[0].min() > 0


def test_leave_one_out_never_counts_a_line_as_its_own_neighbour():
    vote = neighbour_vote(BANK, LABELS, BANK, classes=3, k=1, temperature=0.05, smoothing=0.0, exclude_self=True)
    assert vote[4].argmax() != 2  # the only class-2 line has no other class-2 neighbour


def test_the_blend_keeps_none_as_one_minus_the_objection_probability():
    linear = np.array([[0.1, 0.2, 0.7]])  # classes: a, b, none
    vote = np.array([[0.8, 0.1, 0.1]])
    blend = Blend(type_weight=0.5, binary_weight=0.7)
    out = blend.combine(linear, vote, none_index=2)
    p_objection = 1 - (0.7 * 0.7 + 0.3 * 0.1)
    assert out[0, 2] == pytest.approx(1 - p_objection)
    assert out.sum() == pytest.approx(1.0)
    assert out[0, 0] > out[0, 1]  # the type ranks follow the type blend: (0.05+0.4) > (0.1+0.05)


def test_pair_vote_compares_pairs_by_weighted_customer_and_reply_similarity():
    from knowledge.understanding.neighbours import PairVote

    vote = PairVote(customer_share=0.3)
    c, r = unit([[1, 0, 0], [0, 1, 0]]), unit([[0, 0, 1], [0, 1, 1]])
    stacked = vote.stack(c, r)
    expected = 0.3 * (c @ c.T) + 0.7 * (r @ r.T)
    assert np.allclose(stacked @ stacked.T, expected, atol=1e-6)


def test_pair_vote_pulls_a_deflection_towards_its_labelled_neighbours():
    from knowledge.understanding.neighbours import PairVote

    vote = PairVote(k=2, temperature=0.05, weight=0.5)
    customers = unit([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 1, 0.1]])
    replies = unit([[0, 0, 1], [0, 0.1, 1], [1, 0, 0], [1, 0, 0.1]])
    labels = np.array([1, 1, 0, 0])  # the first two replies deflect
    bank = vote.stack(customers, replies)
    head = np.array([0.1, 0.1])  # the head reads both new pairs as answers
    out = vote.blend(head, bank, labels, unit([[1, 0.05, 0], [0, 1, 0.05]]), unit([[0, 0.05, 1], [1, 0, 0.05]]))
    assert out[0] > 0.5 > out[1]


@pytest.mark.slow
@pytest.mark.parametrize(("customer", "reply"), [
    ("改下收货电话 之前那个停机了", "亲，我们家数据线现在第二件半价，要不要带一根？"),
    ("Can I change the delivery phone number?", "Our phone cases are 20% off this week, want one?"),
])
def test_the_shipped_votes_only_add_doubt(customer, reply):
    """The shipped model's votes on ignore_objection and off-topic never lower the heads' readings."""
    from knowledge.understanding import get_understanding

    model = get_understanding()
    assert model.pair_vote is not None and model.off_topic_vote is not None
    voted = model.read_replies([(customer, reply)])[0]
    votes = model.pair_vote, model.off_topic_vote
    model.pair_vote = model.off_topic_vote = None
    try:
        plain = model.read_replies([(customer, reply)])[0]
    finally:
        model.pair_vote, model.off_topic_vote = votes
    assert voted.anti_patterns["ignore_objection"] >= plain.anti_patterns["ignore_objection"]
    assert voted.off_topic >= plain.off_topic
    assert model.score([voted], None)[0] <= model.score([plain], None)[0]
