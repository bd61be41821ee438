"""Calibration changes how sure a reading says it is, not what a consumer does with it: bars that live cards and
the chat guard set before P(objection) was calibrated for real conversations are mapped onto the new scale."""

from __future__ import annotations

import pytest

from coach.live import LiveKit
from coach.live.fakes import CueJudge
from knowledge.playbooks import load_playbooks

# Real detections the calibrated model is less than 40 % sure of, but which read as objections (and passed the
# live card's 0.4 bar) before calibration.
MODEST = {"zh": ("有没有优惠啊", "price"), "en": ("Can I trust you guys?", "trust")}
LINES = {"zh": ["有没有优惠啊", "运费还要自己出啊", "你们靠谱吗", "老板还没点头", "我们现在用的挺好的", "好的，谢谢",
                "这个价格有点高吧", "不会是假货吧", "那就下周二吧"],
         "en": ["Seems a lot", "Can I trust you guys?", "I'd have to ask around", "Not sure we need this",
                "Ok thanks.", "What about 900?", "Is this legit?", "Sounds good, I'll take it."]}


@pytest.fixture(scope="module")
def model():
    from knowledge.understanding import get_understanding

    found = get_understanding()
    if found.calibration is None:
        pytest.skip("this artefact carries no calibration")
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bar_on_the_real_scale_decides_as_the_old_bar_did_on_the_raw_one(model, lang):
    readings = model.read_customers(LINES[lang], lang)
    for bar in (0.3, 0.4, 0.5):
        real_bar = model.on_real_scale(bar)
        assert real_bar < bar  # calibrated for a lower share of objections than the team's lines have
        for reading in readings:
            assert (reading.p_objection < real_bar) == (model.raw_p_objection(reading) < bar), reading.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_live_card_for_a_modest_real_objection(model, lang):
    from knowledge.detect import get_detector

    text, objection = MODEST[lang]
    detector = get_detector()
    detection = detector.detect(text, lang)
    assert detection.objection == objection
    assert detection.confidence < 0.4, "the case only tests something while calibration puts it under 0.4"
    playbooks = load_playbooks()
    assist = LiveKit(detector=detector, playbooks=playbooks, judge=CueJudge(playbooks)).new_call()
    hints = assist.process({"speaker": "customer", "text": text})
    cards = [h for h in hints if getattr(h, "type", "") == "objection_card"]
    assert [c.objection for c in cards] == [objection]
    assert cards[0].confidence == pytest.approx(detection.confidence, abs=1e-3)  # shown as calibrated
