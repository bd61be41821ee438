"""A customer who ends a call may borrow any sample line tagged ``end_call`` (coach/roleplay/deal_lines.py), a
hanging-up one too, so no such line may read like a yes: 「那就这么定了」 and "looking forward to working together"
belong to the agreement (``agree_next_step``), which only a customer who agrees says. zh and en."""

from __future__ import annotations

import re

import pytest

from evals.roleplay.listening import AGREEMENT
from knowledge.sample import load_sample_deals

YES = {"zh": AGREEMENT + r"|期待合作", "en": AGREEMENT + r"|forward to working together"}


@pytest.fixture(scope="module")
def deals():
    return load_sample_deals()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_goodbye_in_the_sample_reads_like_a_yes(deals, lang):
    goodbyes = [t.text for d in deals if d.lang == lang for t in d.turns if t.act == "end_call"]
    assert len(goodbyes) > 30
    yes = [text for text in goodbyes if re.search(YES[lang], text, re.IGNORECASE)]
    assert yes == []


@pytest.mark.parametrize("lang, words", [("zh", "就这么定了"), ("en", "Looking forward to working together")])
def test_the_agreeing_wording_lives_in_the_agreement(deals, lang, words):
    acts = {t.act for d in deals if d.lang == lang for t in d.turns if words in t.text}
    assert acts == {"agree_next_step"}
