"""The offline customer over the real sample index: reproducible, consistent, responsive (zh and en)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_roleplay_eval_small_run(seeded_home):
    from evals.roleplay.runner import check_reproducible, run_roleplay_eval

    report = run_roleplay_eval(["zh-saas-price", "en-shop-price"], sessions=12, turns=10, progress=False)
    assert check_reproducible("zh-saas-price", seed=3)
    for lang in ("zh", "en"):
        r = report[lang]
        assert r["contradiction_rate"] == 0, r["contradiction_examples"]
        assert r["role_inversion_rate"] == 0
        strong, weak = r["strong"], r["weak"]
        assert strong["mean_score"] > weak["mean_score"] + 15
        assert strong["objections_resolved_per_session"] > weak["objections_resolved_per_session"]
        assert weak["customer_ended_rate"] >= strong["customer_ended_rate"]
        assert r["distinct_lines"] > 0.3


def test_retrieved_lines_come_from_deals_and_fit_the_persona(seeded_home):
    """The offline customer speaks real (anonymized) deal lines, adapted: competitor swapped, no foreign figures."""
    from coach.roleplay.factory import deal_line_source
    from coach.roleplay.from_persona import persona_view
    from coach.roleplay.realizer import RealizeRequest
    from coach.roleplay.state import Act, CustomerState
    from personas import load_pool_deals, synthesize_persona
    from scenarios import get_scenario

    scenario = get_scenario("zh-saas-price")
    view = persona_view(synthesize_persona(scenario, load_pool_deals(scenario.pool), 5))
    source = deal_line_source()
    lines = source(RealizeRequest(act=Act(kind="raise_objection", objection="price"), persona=view,
                                  state=CustomerState(), trainee_reply="您好"))
    assert len(lines) >= 3
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in lines)
    others = [c for c in source.competitors if c != view.competitor]
    assert not any(c in line for c in others for line in lines)
