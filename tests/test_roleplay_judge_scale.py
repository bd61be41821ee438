"""The role-play judge (evals/roleplay/judge.py) reads "is this a customer?" on P(objection) before calibration,
the scale its bar was set on: recalibrating the understanding layer (a new prior or temperature) must not change
which simulated customer lines it calls role inversions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evals.roleplay.judge import judge_session
from knowledge.understanding import get_understanding
from knowledge.understanding.calibration import PriorShift

LINES = {  # customer lines that also read like a rep's words (terms, conditions), and so test the judge's bar
    "zh": ["你们能保证售后响应的话，我们可以签三年。", "这个价格我们能接受，但是付款方式能不能改成分期？",
           "价格这块你们还能不能再谈？我们预算就八万。",
           "你们上线要多久？我们下个月就要用。"],
    "en": ["We can accept the price, but can we pay in instalments?",
           "If your team can guarantee onboarding by next month, we can talk about price.",
           "How long does onboarding take? We need it next month."],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_inversion_verdicts_do_not_move_with_the_calibration(lang):
    model = get_understanding()
    persona = SimpleNamespace(competitor="", budget="")
    before = judge_session(LINES[lang], lang, persona, [])
    shift = model.calibration
    try:  # a calibration for a world with one objection in a hundred lines: every P(objection) under 0.4
        model.calibration = PriorShift(prior=0.01, train_share=shift.train_share, temperature=3.0)
        assert all(r.p_objection < 0.4 for r in model.read_customers(LINES[lang], lang))
        after = judge_session(LINES[lang], lang, persona, [])
    finally:
        model.calibration = shift
    assert [v["inversion"] for v in after] == [v["inversion"] for v in before]
