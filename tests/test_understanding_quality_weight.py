"""The learned quality's weight in the score is the fitted one times ``QUALITY_WEIGHT_SCALE`` (sixteenth session:
on real chats the quality head ranks replies better than the team's pairs credit it). A direct, helpful answer
gains on a fluent reply that answers nothing, in both languages. Lines written for this test."""

from __future__ import annotations

import pytest

from knowledge.understanding import get_understanding
from knowledge.understanding.model import Combiner

CASES = {  # (customer line, direct answer with no playbook words, fluent reply that answers nothing)
    "zh": ("这款保温杯能装开水吗", "能装的，内胆是304不锈钢，开水直接倒没问题。",
           "亲亲您好，非常感谢您对本店的支持与信任，我们店铺的每一款产品都经过严格质检，品质有保障，欢迎您放心选购哦～"),
    "en": ("Can this flask take boiling water?", "Yes, the inner wall is 304 steel, so boiling water is fine.",
           "Hello and thank you so much for shopping with us! Every product in our store passes strict quality "
           "checks, so you can buy with confidence!"),
}


def test_the_shipped_quality_weight_is_the_fitted_one_scaled_as_recorded():
    from evals.understanding.train import QUALITY_WEIGHT_SCALE

    model = get_understanding()
    fitted = model.meta["figures"]["quality_weight_fitted"]
    assert fitted > 0 and QUALITY_WEIGHT_SCALE > 1
    assert model.combiner.params[3] == pytest.approx(fitted * QUALITY_WEIGHT_SCALE, abs=1e-4)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_direct_answer_gains_on_a_fluent_non_answer(lang):
    model = get_understanding()
    customer, direct, fluent = CASES[lang]
    readings = model.read_replies([(customer, direct), (customer, fluent)])
    assert readings[0].quality > readings[1].quality
    scaled = model.score(readings)
    params = model.combiner.params.copy()
    params[3] = model.meta["figures"]["quality_weight_fitted"]
    shipped, model.combiner = model.combiner, Combiner(params)
    try:
        fitted = model.score(readings)
    finally:
        model.combiner = shipped
    assert scaled[0] > scaled[1]
    assert scaled[0] - scaled[1] > fitted[0] - fitted[1], (scaled, fitted)
