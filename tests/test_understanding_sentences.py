"""A line of several sentences reads as its most objecting sentence: a polite opening must not hide the objection
that follows it (knowledge/understanding/model.py, ``_by_sentence``)."""

from __future__ import annotations

import pytest

from knowledge.detect import get_detector
from knowledge.taxonomy import NO_OBJECTION
from knowledge.understanding import get_understanding

HIDDEN = [  # (lang, line, the objection of its second sentence); as a whole each line reads as no objection
    ("zh", "好的，资料我收到了。不过我们今年预算已经用完了。", "budget"),
    ("zh", "可以，下周找个时间过来。不过说实话，你们这价格比我们现在用的那家贵太多了。", "price"),
    ("en", "Nice to meet you too. We already use Salesforce and we're happy with it.", "competitor"),
]
PLAIN = [("zh", "你好，我想了解一下你们的产品。能先发个资料给我吗？"),
         ("en", "Hi, thanks for calling. Could you send me the brochure first?")]


@pytest.mark.parametrize("lang, line, objection", HIDDEN)
def test_an_objection_after_a_polite_opening_is_read(lang, line, objection):
    model = get_understanding()
    assert model.read_customers([line], lang, by_sentence=False)[0].objection == NO_OBJECTION  # the case itself
    reading = model.read_customers([line], lang)[0]
    assert reading.objection == objection
    assert reading.p_objection >= model.threshold
    assert get_detector().detect(line, lang).objection == objection  # the consumers read the same layer


@pytest.mark.parametrize("lang, line", PLAIN)
def test_a_line_of_sentences_that_object_to_nothing_stays_none(lang, line):
    assert get_understanding().read_customers([line], lang)[0].objection == NO_OBJECTION


@pytest.mark.parametrize("lang, line", [("zh", "这个价格比别家贵了三成"), ("en", "That's thirty percent above the others")])
def test_a_one_sentence_line_reads_exactly_as_before(lang, line):
    model = get_understanding()
    whole, by_sentence = model.read_customers([line], lang, by_sentence=False)[0], model.read_customers([line], lang)[0]
    assert whole.probabilities == by_sentence.probabilities and whole.objection == by_sentence.objection


def test_a_batch_reads_each_line_as_it_reads_alone():
    model = get_understanding()
    lines = [line for _, line, _ in HIDDEN] + [line for _, line in PLAIN]
    together = model.read_customers(lines)
    for line, reading in zip(lines, together, strict=True):
        alone = model.read_customers([line])[0]
        assert (alone.objection, alone.objections) == (reading.objection, reading.objections)
        assert alone.p_objection == pytest.approx(reading.p_objection, abs=1e-3)


def test_a_graded_pair_reads_its_customer_line_by_sentence_too():
    model = get_understanding()
    line = HIDDEN[0][1]
    pair = model.read_replies([(line, "理解，预算确实要提前规划。您明年的预算一般几月定？我们可以先做个小范围试点。")])[0]
    assert pair.objection == "budget"
