"""Anonymisation tags reach the encoder as natural stand-ins (ours and exported shop chats' "[类x]" style),
in both languages, and a masked line reads like the same line with a real amount in it."""

from __future__ import annotations

import numpy as np

from knowledge.understanding import get_understanding
from knowledge.understanding.placeholders import with_stand_ins


def test_chinese_tags_become_stand_ins_of_their_kind():
    assert with_stand_ins("[数字x]号[金额x]元下的单，现在[金额x]元") == "3号100元下的单，现在100元"
    assert with_stand_ins("[客户A]总说今年预算就[金额]") == "小王总说今年预算就100元"
    assert with_stand_ins("订单号[订单x]，寄到[地址]，电话[电话]") == "订单号12345，寄到北京，电话电话"


def test_english_tags_and_pseudonyms_become_stand_ins():
    assert with_stand_ins("[Person B] at [Company A] said [AMOUNT] is too much") == \
        "Alex at the company said $100 is too much"
    assert with_stand_ins("call me on [PHONE]") == "call me on the number"


def test_other_brackets_are_left_alone():
    for text in ("[图片]", "[Facepalm] ok", "价格[价保金额(单件)]", "no tags here", "a [b] c"):
        assert with_stand_ins(text) == text


def test_the_model_embeds_the_stand_in_not_the_tag():
    """A masked line reaches the encoder as its stand-in line; the reading keeps the masked text."""
    model = get_understanding()
    for masked, natural in (("[金额x]元的东西现在卖[金额x]元，太贵了吧", "100元的东西现在卖100元，太贵了吧"),
                            ("[AMOUNT] a seat is way over what we pay now", "$100 a seat is way over what we pay now")):
        vectors = model._embed_customers([masked, natural])
        assert np.allclose(vectors[0], vectors[1])
        reading = model.read_customers([masked])[0]
        assert reading.text == masked and reading.objection == "price"
