"""Issue #14, grading on real agent replies: a plain, short, direct answer that uses no playbook words must
outscore a polite service formula given to the same question, in both languages, and a tag question
(「…是吧」 / "…, right?") is read as a question. Lines written for this test (not taken from any dataset)."""

from __future__ import annotations

import pytest

from knowledge.understanding import get_understanding
from knowledge.understanding.answer_form import (
    answer_form,
    formula_share,
    is_polar_question,
    is_tag_question,
    is_wh_question,
    opens_with_polar_answer,
)

# (customer line, short direct answer, formula reply that answers nothing)
CASES = {
    "zh": [
        ("这个能打电话也能导航是吧", "亲，是可以的哦", "亲，您好，很高兴为您服务，请问还有什么可以帮您的吗"),
        ("充电头有送的吧", "是的", "感谢您对本店的支持，祝您购物愉快哦"),
        ("这台平板能插电话卡吗", "用不了的亲", "您好，在线的呢，请问有什么可以帮您"),
        ("一共有几个尺码可选", "亲，有M和L两个尺码哦", "亲，满意的话麻烦给小妹一个五星好评哦"),
        ("取消订单", "好的 已为您取消成功", "您好，很高兴为您服务，请问还有其他问题吗"),
    ],
    "en": [
        ("It can make calls and do GPS, right?", "Yes, it can.",
         "Hi there, thanks for reaching out! Is there anything else I can help you with?"),
        ("A charger comes with it, right?", "Yes.", "Thank you for your support, have a wonderful day!"),
        ("Does it work with a Vodafone SIM?", "No, it doesn't, sorry.", "Hello! How may I assist you today?"),
        ("How many sizes are there?", "Two, medium and large.",
         "If you're happy with our service, please rate this chat five stars!"),
        ("Cancel my order please.", "Done, it's cancelled.", "Hi, happy to help! Anything else I can do for you?"),
    ],
}
TAG_QUESTIONS = {"zh": ["充电头有送的吧", "这个能打电话也能导航是吧", "这款是正品对吧"],
                 "en": ["A charger comes with it, right?", "It's waterproof, isn't it?"]}


def _case_ids():
    return [pytest.param(lang, i, id=f"{lang}-{i}", marks=[pytest.mark.xfail(
        strict=True, reason="known failure: a bare Chinese 'no' (「用不了的亲」) still reads as ignoring the "
                            "question; see CARD.md")] if (lang, i) == ("zh", 2) else [])
            for lang in CASES for i in range(len(CASES[lang]))]


@pytest.mark.parametrize("lang,i", _case_ids())
def test_a_short_direct_answer_outscores_a_formula_to_the_same_question(lang, i):
    model = get_understanding()
    customer, answer, formula = CASES[lang][i]
    direct, boiler = model.score(model.read_replies([(customer, answer), (customer, formula)]))
    assert direct >= boiler + 10, (customer, answer, direct, formula, boiler)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bare_yes_to_a_tag_question_is_not_graded_as_a_non_answer(lang):
    """On the old weights a bare 「是的」 / "Yes." after 「…有送的吧」 / "…, right?" scored 17 / 34."""
    model = get_understanding()
    customer, answer, formula = CASES[lang][1]
    direct, boiler = model.score(model.read_replies([(customer, answer), (customer, formula)]))
    assert direct >= 3 * max(boiler, 1) and direct >= {"zh": 25, "en": 45}[lang], (direct, boiler)


def test_a_tag_question_is_read_as_a_question():
    model = get_understanding()
    for lang, lines in TAG_QUESTIONS.items():
        for line in lines:
            assert is_tag_question(line) and is_polar_question(line)
            reading = model.read_replies([(line, "Yes." if lang == "en" else "是的")])[0]
            assert reading.answers_question is not None, line  # the customer asked, so "answered?" is read


def test_suggestions_and_put_offs_with_ba_are_not_tag_questions():
    for line in ("再说吧", "先放着吧", "那就先定两台吧", "太贵了吧", "过完年再聊吧"):
        assert not is_tag_question(line), line
    for line in ("haha yeah", "Sounds good, let's do it."):
        assert not is_tag_question(line), line


@pytest.mark.parametrize("customer,reply,polar", [
    ("这个支持快充吗", "亲亲，支持的哦", True), ("有没有蓝色", "没有了亲", True), ("多少钱", "是的", False),
    ("Does it support fast charging?", "Yes, it does.", True), ("Is there a blue one?", "No, sorry.", True),
    ("How much is it?", "Yes.", False),
])
def test_a_polar_question_met_by_a_polar_answer_means_the_same_in_both_languages(customer, reply, polar):
    features = answer_form(customer, reply)
    assert opens_with_polar_answer(reply)
    assert bool(features[3]) is polar  # polar_met
    assert is_wh_question(customer) is not polar


@pytest.mark.parametrize("formula,answer", [
    ("您好，很高兴为您服务，请问还有什么可以帮您的吗", "可以的，今天下单明天送到"),
    ("Hi there, thanks for reaching out! How can I help you today?", "Yes, order today and it arrives tomorrow."),
])
def test_formula_share_tells_service_formula_from_an_answer(formula, answer):
    assert formula_share(formula) >= 0.6 > 0.2 >= formula_share(answer)
