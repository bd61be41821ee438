"""Both pair votes (ignores the objection, off topic) search the same bank alike; the grade finds the nearest
pairs once and both votes must read exactly what each would have found alone."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def model():
    from knowledge.understanding import get_understanding

    found = get_understanding()
    if found.pair_vote is None or found.off_topic_vote is None:
        pytest.skip("this artefact carries no pair votes")
    return found


PAIRS = {"zh": [("运费还要自己出啊", "618活动满减，领券更划算哦"), ("你们价格太高了", "理解，方便说下您在跟哪家比吗？"),
                ("改下收货电话", "请私信我们您的订单号")],
         "en": [("Shipping's extra too?", "We have a summer sale on, grab a coupon!"),
                ("Your price is too high", "Fair, which quote are you comparing us with?"),
                ("Can you change my delivery number?", "Please DM us your order number.")]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_shared_nearest_pairs_give_the_same_votes(model, lang):
    customers, replies = zip(*PAIRS[lang], strict=True)
    cvec, rvec = model._embed(list(customers)), model._embed(list(replies))
    shared = model.pair_vote.nearest(model._pair_bank, cvec, rvec)
    head = np.full(len(customers), 0.2)
    for vote, labels in ((model.pair_vote, model._pair_labels), (model.off_topic_vote, model._off_topic_labels)):
        alone = vote.blend(head, model._pair_bank, labels, cvec, rvec)
        np.testing.assert_array_equal(vote.blend(head, model._pair_bank, labels, cvec, rvec, shared), alone)
        assert (alone >= head).all()  # raise only
