"""`coach eval roleplay` judges lines with the understanding layer, not the guards' patterns, and reports per
realizer the figures before and after the guards (inversions, contradictions, repeats, fallbacks)."""

from __future__ import annotations

import itertools

import pytest
from test_roleplay_policy import fake_grade

from coach.roleplay.engine import RolePlayEngine
from coach.roleplay.llm_realizer import LLMRealizer
from coach.roleplay.persona_view import PersonaView
from evals.roleplay.judge import judge_session

SELLING = {"zh": ["我可以给你打个九折，今天签就行。", "我们的产品可以为您提供八折优惠，今天签约还送培训！"],
           "en": ["I can give you 10% off if you sign this week, and we include onboarding.",
                  "Our solution integrates with your ERP in two weeks, and we have 200 retail clients."]}
# plain customer lines, and long real ones from the offline customer that a looser judge took for selling
BUYING = {"zh": ["说实话，这个价格对我们来说还是偏高。", "能不能再便宜点？别家都打八折。", "我们在用云帆CRM，价格便宜不少。",
                 "先试一下行，试用期间有人跟着吧？这个承诺我记下了，合同里要有。"],
          "en": ["Honestly, that price is still high for us.", "Can you do better on the price?",
                 "We use SalesPilot right now, it's cheaper.",
                 'You said earlier "onboarding and support are included". Can we put that in the contract? '
                 "It's not that I don't want it. There's no budget."]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_judge_reads_lines_with_the_understanding_layer(lang, monkeypatch):
    import coach.roleplay.guards as guards

    # the judge must not lean on the guards: blind them and it still sees the selling lines
    monkeypatch.setattr(guards, "role_inversion", lambda text: False)
    monkeypatch.setattr(guards, "check", lambda *a, **k: None)
    persona = PersonaView(name="x", lang=lang, competitor="云帆CRM" if lang == "zh" else "SalesPilot",
                          budget="20万" if lang == "zh" else "$40k")
    verdicts = judge_session(BUYING[lang] + SELLING[lang], lang, persona, ["云帆CRM", "SalesPilot", "销易通"])
    assert [v["inversion"] for v in verdicts] == [False] * 4 + [True] * 2
    other = "销易通" if lang == "zh" else "云帆CRM"
    wrong = judge_session([f"我们其实一直用{other}。" if lang == "zh" else f"We actually use {other}.",
                           BUYING[lang][0], BUYING[lang][0]], lang, persona, ["云帆CRM", "SalesPilot", "销易通"])
    assert wrong[0]["contradiction"] and wrong[2]["repeat"] and not wrong[1]["repeat"]
    assert judge_session([BUYING["en" if lang == "zh" else "zh"][0]], lang, persona, [])[0]["wrong_language"]


@pytest.mark.parametrize("lang,size_line,budget_line", [
    ("zh", "我们这规模（大约300人），预算确实很紧。", "我们的预算其实只有5万。"),
    ("en", "At our size (about 200 people), the budget is tight.", "Our budget is really only $5k."),
])
def test_the_judge_does_not_read_a_headcount_as_a_budget(lang, size_line, budget_line):
    persona = PersonaView(name="x", lang=lang, competitor="", budget="20万" if lang == "zh" else "$40k")
    size, budget = judge_session([size_line, budget_line], lang, persona, [])
    assert not size["contradiction"]
    assert budget["contradiction"]  # a budget figure that is not the persona's still counts


@pytest.mark.parametrize("lang,scenario", [("zh", "zh-saas-price"), ("en", "en-shop-price")])
def test_eval_reports_llm_figures_before_and_after_the_guards(fake_openai, lang, scenario):
    from evals.roleplay.realizers import attach_realizers
    from evals.roleplay.runner import play, scripts
    from personas import load_pool_deals
    from scenarios import get_scenario

    # a small model that sells every other time, between plain customer lines
    lines = itertools.cycle(sum(([s, b] for s, b in zip(SELLING[lang] * 2, BUYING[lang] * 2, strict=False)), []))
    fake_openai.handler = lambda body: next(lines)
    engine = RolePlayEngine(grade=fake_grade, realizer=LLMRealizer())
    spec = get_scenario(scenario)
    run = play(engine, spec, load_pool_deals(spec.pool), 0, scripts()["weak"][lang], 4)
    out: dict = {}
    attach_realizers(out, {lang: {"strong": [run], "weak": []}}, engine, [scenario], 1, 4, [])
    figures = out["realizers"]["llm"]
    before, after = figures["before_guards"][lang], figures["after_guards"][lang]
    assert before["inversions"] > 0 and after["inversions"] < before["inversions"]
    assert after["fallbacks"] >= 0 and before["lines"] > 0 and after["lines"] > 0
    assert {"inversions", "contradictions", "repeats", "fallbacks"} <= set(after)


@pytest.mark.parametrize("lang, line", [("zh", "能不能再便宜点？别家都打八折。"),
                                        ("en", "Can you go any lower? The other vendor gave us 20% off.")])
def test_a_haggle_that_names_a_rivals_discount_is_not_a_rep_offering_one(lang, line):
    """The discount reading is high on such a line too; a question anywhere in it says a customer is asking."""
    persona = PersonaView(name="x", lang=lang, competitor="云帆CRM" if lang == "zh" else "SalesPilot",
                          budget="20万" if lang == "zh" else "$40k")
    assert not judge_session([line], lang, persona, [])[0]["inversion"]
    offer = SELLING[lang][0]  # the rep's own offer, no question in it, still counts
    assert judge_session([offer], lang, persona, [])[0]["inversion"]


@pytest.mark.parametrize("lang, customer, rep", [
    ("zh", "可以，下周找个时间过来。不过说实话，你们这价格比我们现在用的那家贵太多了。", "我可以给你打个九折。今天签的话再送一年服务。"),
    ("en", "We've used Seaborne Commerce for a while and it does this for us today. Honestly, $2k is what we can "
           "spend on this.", "I'll take 20% off the list price for you. That offer is good until Friday."),
])
def test_a_customer_line_of_several_sentences_is_read_sentence_by_sentence(lang, customer, rep):
    """As a whole such a line reads as barely an objection (its sentences pull different ways) and as a fair rep
    reply, so the judge took it for the customer selling; one of its sentences alone reads as a customer's objection
    (the price, a rival in use, the budget), so it is not a role inversion. A rep's offer of several sentences still
    is."""
    persona = PersonaView(name="x", lang=lang, competitor="", budget="")
    customer_verdict, rep_verdict = judge_session([customer, rep], lang, persona, [])
    assert not customer_verdict["inversion"]
    assert rep_verdict["inversion"]
