"""The debrief agrees with the cards: it lists only objections the rep got a card for, names the cards, and
catches an agreed next step said as a bare date or time (下周二上午可以 / next Tuesday morning works).

The detector is the shipped cue-list stand-in plus one weak reading (a budget remark at confidence 0.3, under
the card threshold), which is exactly the case where the old debrief said "budget: handled" with no card.
"""

from __future__ import annotations

import pytest

from coach.live import LiveKit, debrief
from coach.live.fakes import CueDetector, CueJudge
from knowledge.playbooks import load_playbooks


class WeakBudgetDetector(CueDetector):
    """The cue stand-in, but a budget remark is a weak reading (no card)."""

    def detect(self, text, lang=None):
        found = super().detect(text, lang)
        if "预算" in text or "budget" in text.lower():
            return found.model_copy(update={"objection": "budget", "confidence": 0.3, "p_objection": 0.3,
                                            "objections": ["budget"]})
        return found


@pytest.fixture(scope="module")
def kit():
    playbooks = load_playbooks()
    return LiveKit(detector=WeakBudgetDetector(), playbooks=playbooks, judge=CueJudge(playbooks))


CALLS = {
    "zh": [("customer", "今年预算有点紧"),
           ("rep", "理解您的顾虑。方便说说预算大概是怎么安排的吗？我们可以分期，很多客户这样做，数据显示三个月回本。"),
           ("customer", "你们的价格太贵了"),
           ("rep", "理解，确实是一笔投入。您是跟哪家在比呢？我们算一下三年总成本，案例显示七个月回本。"),
           ("customer", "下周二上午可以")],
    "en": [("customer", "Our budget is a bit tight this year"),
           ("rep", "I understand. How is the budget planned? Many clients pay in instalments; data shows payback in "
                   "three months."),
           ("customer", "Honestly your price is too expensive"),
           ("rep", "I understand, it is an investment. Which vendor are you comparing with? Let us look at the "
                   "three-year cost; a case study shows payback in seven months."),
           ("customer", "Next Tuesday morning works for me")],
}
SLOTS = {"zh": "下周二上午", "en": "Next Tuesday morning"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_debrief_lists_only_carded_objections_with_their_cards(kit, lang):
    assist = kit.new_call()
    cards = [h for s, t in CALLS[lang] for h in assist.process({"speaker": s, "text": t})
             if h.type == "objection_card"]
    result = debrief(assist)
    assert [c.objection for c in cards] == ["price"]
    assert [o.objection for o in result.objections] == ["price"]  # the weak budget reading got no card
    assert result.objections[0].card_ids == [cards[0].card_id]
    assert any(r.objection == "budget" for r in assist.objections)  # still tracked, just not reported


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_debrief_names_the_agreed_slot_as_a_next_step(kit, lang):
    assist = kit.new_call()
    signals = [h for s, t in CALLS[lang] for h in assist.process({"speaker": s, "text": t}) if h.type == "signal"]
    result = debrief(assist)
    assert [s.span for s in result.next_steps] == [SLOTS[lang]]
    assert any(s.signal == "next_step_agreed" and s.span == SLOTS[lang] for s in signals)  # the card said so too


@pytest.mark.parametrize("text, slot", [
    ("下周二上午可以", "下周二上午"), ("好的，明天下午三点吧", "明天下午三点"), ("那就周五", "周五"), ("3月5日可以", "3月5日"),
    ("Next Tuesday morning works", "Next Tuesday morning"), ("Sure, tomorrow at 3pm is fine", "tomorrow at 3pm"),
    ("Friday 10am then, sounds good", "Friday 10am"), ("March 5th works", "March 5th"),
])
def test_dates_and_times_in_both_languages_make_a_next_step(kit, text, slot):
    from coach.live.nextstep import find_when

    assert (span := find_when(text)) is not None and text[span[0]:span[1]] == slot
    hints = kit.new_call().process({"speaker": "customer", "text": text})
    assert [h.span for h in hints if h.type == "signal" and h.signal == "next_step_agreed"] == [slot]


@pytest.mark.parametrize("text", ["周五不行，我们那天开会", "下周二上午可以吗？", "Friday doesn't work for us", "我们下周二上午开采购会",
                                  "Is tomorrow at 3pm possible?", "我们公司有20个人", "We have 3 offices"])
def test_a_refused_or_asked_slot_or_a_plain_number_is_not_a_next_step(kit, text):
    hints = kit.new_call().process({"speaker": "customer", "text": text})
    assert not [h for h in hints if h.type == "signal" and h.signal == "next_step_agreed"]


@pytest.mark.parametrize("rep, customer", [("下周二上午方便吗？", "好的，可以"),
                                           ("Does next Tuesday morning suit you?", "Sure, that works")])
def test_accepting_the_reps_proposed_slot_is_a_next_step(kit, rep, customer):
    assist = kit.new_call()
    assist.process({"speaker": "rep", "text": rep})
    hints = assist.process({"speaker": "customer", "text": customer})
    assert [h.span for h in hints if h.type == "signal" and h.signal == "next_step_agreed"] == [customer]


@pytest.mark.parametrize("rep, customer", [("下周二上午我来演示一下，方便吗？", "好的，这个方案整体上挺好的"),
                                           ("Could I show you a demo next Tuesday morning?",
                                            "Sounds good overall, the plan looks solid to me")])
def test_a_long_warm_line_after_a_proposed_slot_is_about_the_offer_not_the_slot(kit, rep, customer):
    assist = kit.new_call()
    assist.process({"speaker": "rep", "text": rep})
    hints = assist.process({"speaker": "customer", "text": customer})
    assert not [h for h in hints if h.type == "signal" and h.signal == "next_step_agreed"]


@pytest.mark.parametrize("lang, slot", [("zh", "下周二上午"), ("en", "Next Tuesday morning")])
def test_the_live_page_debrief_shows_the_slot_and_the_card_ids(kit, lang, slot):
    from ui.pages.live import debrief_html

    assist = kit.new_call()
    for speaker, text in CALLS[lang]:
        assist.process({"speaker": speaker, "text": text})
    page = debrief_html(debrief(assist).model_dump(mode="json"), lang)
    assert f"<mark>{slot}</mark>" in page and "live-next-steps" in page
    card = next(r.card_id for r in assist.objections if r.card_id)
    assert f"data-cards='{card}'" in page and "data-objection='budget'" not in page


@pytest.fixture(scope="module")
def real_kit():
    from knowledge.detect import get_detector

    playbooks = load_playbooks()
    return LiveKit(detector=get_detector(), playbooks=playbooks, judge=CueJudge(playbooks))


@pytest.mark.slow
@pytest.mark.parametrize("text, slot", [
    ("下周二上午可以", "下周二上午"), ("好的，明天下午三点吧", "明天下午三点"), ("那就周五", "周五"), ("3月5日可以", "3月5日"),
    ("Next Tuesday morning works", "Next Tuesday morning"), ("Sure, tomorrow at 3pm is fine", "tomorrow at 3pm"),
    ("Friday 10am then, sounds good", "Friday 10am"), ("March 5th works", "March 5th"),
    ("周五不行，我们那天开会", None), ("Friday doesn't work for us", None), ("我们下周二上午开采购会", None),
    ("Call me next Tuesday, maybe", None),
])
def test_real_layer_next_steps_from_dates(real_kit, text, slot):
    hints = real_kit.new_call().process({"speaker": "customer", "text": text})
    assert [h.span for h in hints if h.type == "signal" and h.signal == "next_step_agreed"] == ([slot] if slot else [])
