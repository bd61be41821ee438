"""P(objection) calibrated for real conversations (knowledge/understanding/calibration.py): a prior shift fitted
at training time and recorded in the artefact, softening the probability without moving any decision."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.index.fakes import HashEmbedder
from knowledge.taxonomy import NO_OBJECTION
from knowledge.understanding import UnderstandingModel, get_understanding
from knowledge.understanding.calibration import PriorShift, logit
from knowledge.understanding.features import customer_features
from knowledge.understanding.model import CLASSES

NONE = CLASSES.index(NO_OBJECTION)
LINES = {  # real-register objections and non-objections, both languages
    "zh": ["能再优惠点吗", "我去别家看看", "不会是假货吧", "好的谢谢", "改下收货电话"],
    "en": ["What about 900?", "Too expensive, any discount?", "I need to ask my wife first.", "Ok thanks.",
           "Sounds good, I'll take it."],
}


def test_the_shift_is_bayes_rule_from_the_training_mix_to_the_prior():
    shift = PriorShift(prior=0.25, train_share=0.5)
    assert shift.shift == pytest.approx(np.log(1 / 3))
    p = np.array([0.05, 0.5, 0.9, 0.99])
    odds = p / (1 - p) / 3  # a third of the odds: one objection in four instead of one in two
    assert np.allclose(shift.apply(p), odds / (1 + odds))
    assert np.allclose(shift.invert(shift.apply(p)), p)
    assert shift.threshold(0.5) == pytest.approx(0.25)
    assert np.allclose(PriorShift(prior=0.4, train_share=0.4).apply(p), p)  # same mix: nothing to move


def test_a_temperature_softens_the_log_odds_before_the_shift_and_moves_no_decision():
    soft = PriorShift(prior=0.3, train_share=0.5, temperature=2.0)
    p = np.array([0.02, 0.3, 0.5, 0.7, 0.98])
    assert np.allclose(soft.apply(p), 1 / (1 + np.exp(-(logit(p) / 2.0 + logit(0.3) - logit(0.5)))))
    assert np.allclose(soft.invert(soft.apply(p)), p)
    assert np.all(np.diff(soft.apply(p)) > 0)  # monotone: the same order, so a moved threshold decides alike
    sure = PriorShift(prior=0.3, train_share=0.5)
    assert soft.apply(0.98) < sure.apply(0.98) and soft.apply(0.02) > sure.apply(0.02)  # less sure both ways
    assert ((soft.apply(p) >= soft.threshold(0.5)) == (p >= 0.5)).all()
    assert "temperature" not in sure.to_json() and soft.to_json()["temperature"] == 2.0  # old artefacts unchanged
    assert PriorShift(**soft.to_json()) == soft and PriorShift(**sure.to_json()) == sure


def _raw_and_read(model, texts):
    vectors = model._embed_customers(texts)
    raw = model.objection_probabilities(vectors, customer_features(vectors, texts, model.cues), calibrated=False)
    return raw, model.read_customers(texts)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_shipped_model_softens_p_objection_by_its_recorded_prior_and_keeps_every_decision(lang):
    model = get_understanding()
    recorded = model.meta["calibration"]
    labels = [label for label in model._examples["customer"].labels]
    # the training share is counted from the lines the head and the vote learned from, not typed in
    assert recorded["train_share"] == pytest.approx(np.mean([x != NO_OBJECTION for x in labels]), abs=1e-6)
    assert 0 < recorded["prior"] < recorded["train_share"]  # real chats hold fewer objections than the team mix
    raw, readings = _raw_and_read(model, LINES[lang])
    for row, reading in zip(raw, readings, strict=True):
        p_raw = 1 - row[NONE]
        z = logit(p_raw) / recorded.get("temperature", 1.0) + logit(recorded["prior"]) - logit(recorded["train_share"])
        assert reading.p_objection == pytest.approx(float(1 / (1 + np.exp(-z))), abs=1e-4)
        if p_raw >= 0.5:
            assert reading.p_objection < p_raw  # softened towards the real prior
        # the same decision as before calibration, and `none` confidence stays 1 − P(objection)
        assert (reading.objection != NO_OBJECTION) == (p_raw >= 0.5)
        assert (reading.p_objection >= model.threshold) == (p_raw >= 0.5)
        if reading.objection == NO_OBJECTION:
            assert reading.confidence == pytest.approx(1 - reading.p_objection, abs=1e-3)
        else:  # the type keeps its share of the objection mass
            types = np.delete(row, NONE)
            assert reading.objection == CLASSES[int(np.argmax(np.where(np.arange(len(CLASSES)) == NONE, -1, row)))]
            assert reading.confidence == pytest.approx(types.max() / types.sum() * reading.p_objection, abs=1e-3)
        assert sum(reading.probabilities.values()) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("pair", [("能再优惠点吗", "这款今天下单包邮，我再帮您申请一张10元券。"),
                                  ("What about 900?", "I can do 950 if you pay today.")])
def test_calibration_leaves_the_reply_score_as_it_was(pair):
    """The reply heads were trained on the uncalibrated P(objection): grading reads that one."""
    model = get_understanding()
    readings = model.read_replies([pair])
    customers = model.read_customers([pair[0]])
    assert model.raw_p_objection(customers[0]) > customers[0].p_objection
    # customer readings handed in from elsewhere (no private raw value) are read back through the inverse
    handed = [customers[0].model_copy()]
    handed[0]._p_raw = None
    shift, model.calibration = model.calibration, None
    try:
        uncalibrated = model.read_replies([pair])
    finally:
        model.calibration = shift
    assert [r.model_dump() for r in uncalibrated] == [r.model_dump() for r in readings]

    def numbers(r):
        return [r.quality, r.relevance, r.off_topic, *r.steps.values(), *r.anti_patterns.values()]

    handed_back = model.read_replies([pair], customers=handed)
    assert numbers(handed_back[0]) == pytest.approx(numbers(readings[0]), abs=2e-3)


@pytest.mark.parametrize("text", ["太贵了，能便宜点吗", "Too expensive, any discount?"])
def test_a_retrained_small_model_records_its_calibration(tmp_path, text):
    from evals.understanding.train import OBJECTION_PRIOR, train
    from tests.test_understanding import _small_data

    lines, pairs = _small_data()
    figures = train(HashEmbedder(), tmp_path / "a.npz", (lines, pairs))
    model = UnderstandingModel(tmp_path / "a.npz", HashEmbedder())
    assert model.meta["calibration"] == figures["calibration"]
    assert model.calibration.prior == OBJECTION_PRIOR
    stored = model._examples["customer"].labels
    assert model.calibration.train_share == pytest.approx(np.mean([x != NO_OBJECTION for x in stored]), abs=1e-6)
    reading = model.read_customers([text])[0]
    assert model.raw_p_objection(reading) == pytest.approx(
        float(model.calibration.invert(reading.p_objection)), abs=2e-4)
