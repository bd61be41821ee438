"""The listening customer through the real engine (real grader and understanding layer, the sample index):
the issue's quoted cases on the small-shop scenarios, and a small listening eval (zh and en)."""

from __future__ import annotations

import re

import pytest
from shop_session import SHOPS, say, start

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lang,reply", [("zh", "昨晚的足球比赛您看了吗？"), ("en", "Did you watch the football last night?")])
def test_football_is_pulled_back_on_the_small_shop_scenario(seeded_home, lang, reply):
    from coach.roleplay.consistency import check_line

    for seed in range(3):
        engine, setup, view, state, history = start(lang, seed)
        result = say(engine, setup, view, state, history, reply, seed)
        line = result.customer_text
        assert view.budget not in line, line  # never 「预算大概就是3500元」
        assert re.search(r"正事|正题|说回|闲|扯|business|back to|small talk|aside", line, re.IGNORECASE), line
        assert check_line(line, view) == []


@pytest.mark.parametrize("lang,reply,word", [("zh", "我们可以先给您两周免费试用，您看怎么样？", "试"),
                                             ("en", "How about a two-week free trial?", "trial")])
def test_a_two_week_trial_gets_a_reaction_to_the_trial(seeded_home, lang, reply, word):
    for seed in range(3):
        engine, setup, view, state, history = start(lang, seed)
        result = say(engine, setup, view, state, history, reply, seed)
        assert word in result.customer_text.lower(), result.customer_text


def test_a_small_listening_eval_meets_the_figures(seeded_home):
    from evals.roleplay.listening import run_listening_eval

    report = run_listening_eval(list(SHOPS.values()), sessions=6, turns=12)
    for lang in ("zh", "en"):
        r = report[lang]
        assert r["question_answer_rate"] >= 0.9, r["misses"]["question"]
        assert r["offer_reaction_rate"] >= 0.8, r["misses"]["offer"]
        assert r["pull_back_rate"] >= 0.9, r["misses"]["off_topic"]
        assert r["repeated_lines"] == 0 and r["persona_contradictions"] == 0, r["contradiction_examples"]
