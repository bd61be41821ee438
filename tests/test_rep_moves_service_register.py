"""The rep-move heads hear shop-chat and after-sales service replies (issue 14): a specialist's call back is a
booked call (visit), an invoice arrangement is contract, urging a buyer to keep an order is pressure, a card-payment
reduction is a discount, and service openers, closings and "done" confirmations ask and offer nothing. Each case
was misread by the heads before the service lines (``moves_data/rep_moves_*_service.jsonl``) were added; the
sentences were written for this test and are not training lines (checked below)."""

from __future__ import annotations

import pytest

from coach.roleplay.rep_moves import read_move
from evals.understanding.train_moves import load_moves

HEARD = [
    # a specialist's call back is a booked call
    ("zh", "亲，已经帮您升级到专员，今天下午五点前会电话联系您", {"offers:visit"}),
    ("zh", "亲，这个问题我们专员会在24小时内打电话给您", {"offers:visit"}),
    ("en", "Our billing specialist will call you back within 24 hours.", {"offers:visit"}),
    # an invoice arrangement for the order is a contract term
    ("zh", "亲，专票可以开的，订单完成后五天内寄给您", {"offers:contract"}),
    ("zh", "亲，电子发票会在确认收货后一天内开出来", {"offers:contract"}),
    ("en", "We can issue a VAT invoice for your company once it ships.", {"offers:contract"}),
    # shop-chat pressure and discount
    ("zh", "亲，这么实惠的价格退了太可惜，建议您还是保留订单", {"pressure"}),
    ("zh", "亲，用这家银行的卡付款可以随机立减", {"offers:discount"}),
    # service intake, closings and confirmations: nothing
    ("zh", "亲，还有其他问题吗？", set()),
    ("zh", "好的，已为您提交成功", set()),
    ("en", "Hi, thanks for reaching out, what went wrong with your order?", set()),
]


def _moves(text: str) -> set[str]:
    move = read_move(text)
    flags = ("instruction", "small_talk", "pressure", "cost")
    return ({f"asks:{t}" for t in move.questions} | {f"offers:{o}" for o in move.offers}
            | {f for f in flags if getattr(move, f)} | ({"put_down"} if move.put_downs else set()))


@pytest.mark.parametrize("lang,text,moves", HEARD)
def test_a_service_reply_is_heard_as_what_it_does(lang, text, moves):
    assert _moves(text) == moves


def test_the_cases_are_not_training_lines():
    trained = {r["text"] for r in load_moves()}
    assert not trained & {text for _, text, _ in HEARD}
