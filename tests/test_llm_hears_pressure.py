"""The LLM customer hears pressure to close, a put-down of a vendor and a cost argument, as the offline one does
(zh and en, against the fake OpenAI-compatible server): the prompt says what the rep just did and how this
persona reacts, and a line that agrees (or shows a buying signal) right after pressure is rejected: regenerated
once, then the offline customer, which pushes back."""

from __future__ import annotations

import pytest
from test_listen_pressure import COST, EN, PRESSURE, PUSH_BACK_WORDS, PUT_DOWN, ZH, flat_grade

from coach.roleplay.engine import RolePlayEngine, Setup
from coach.roleplay.llm_listening import move_texts
from coach.roleplay.llm_realizer import LLMRealizer
from coach.roleplay.policy import HiddenObjection

PERSONAS = {"zh": ZH, "en": EN}
OPENING = {"zh": "价格上我还得再看看。", "en": "I still need to look at the price."}
CAVES = {"zh": "好吧，那就今天签吧。", "en": "Alright, let's sign today then."}
PUSHES_BACK = {"zh": "别催，我们按自己的节奏来。", "en": "Don't push me; we'll go at our own pace."}
DEFENDS = {"zh": "青禾CRM我们用着好好的。", "en": "Orchard Row works fine for us."}
ASKS = {"zh": "怎么算的？把费用明细发我。", "en": "How did you work that out? Send me the breakdown."}
REGENERATE = ("不合格", "rejected", "broke character")  # words of the retry note (coach/data/prompts.yaml)


def _system(body: dict) -> str:
    return body["messages"][0]["content"]


def _turn(fake_openai, persona, reply, handler, **traits):
    """Open the call, then one rep reply; the fake model answers every later request through ``handler``."""
    persona = persona.model_copy(update=traits)
    setup = Setup(scenario_id="t", lang=persona.lang, max_turns=30, objections=[HiddenObjection("price", severity=0.6)])
    fake_openai.handler = lambda body: OPENING[persona.lang] if len(body["messages"]) == 1 else handler(body)
    engine = RolePlayEngine(grade=flat_grade(), realizer=LLMRealizer(known_competitors=["青禾CRM", "Orchard Row"]))
    opening = engine.open_line(setup, persona, seed=3)
    sent = len(fake_openai.requests)
    result = engine.step(setup, persona, opening.state, 3, [("customer", opening.text)], reply)
    return result, [_system(b) for b in fake_openai.requests[sent:]]


def _kinds(result) -> list[str]:
    return [r.kind for r in result.act.reactions]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_prompt_says_the_rep_pushed_and_how_this_persona_pushes_back(fake_openai, lang):
    result, prompts = _turn(fake_openai, PERSONAS[lang], PRESSURE[lang][0], lambda body: PUSHES_BACK[lang],
                            decision_cycle="committee", decision_chain=["财务" if lang == "zh" else "finance", "CEO"])
    assert "push_back" in _kinds(result)
    texts = move_texts()
    assert texts.push_back.get(lang).split("{")[0] in prompts[0]
    committee = {"zh": "你们的事要走流程，财务、CEO没看过之前谁也定不了",
                 "en": "nothing is decided before your finance, CEO has seen it"}[lang]
    assert committee in prompts[0]  # the persona's own process, not a generic line
    assert {"zh": "不要答应任何事", "en": "agree to nothing"}[lang] in prompts[0]
    assert result.customer_text == PUSHES_BACK[lang] and result.origin.source == "llm"  # a push-back is kept


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_fast_deciding_persona_is_told_it_decides_fast_but_not_when_pushed(fake_openai, lang):
    _, prompts = _turn(fake_openai, PERSONAS[lang], PRESSURE[lang][0], lambda body: PUSHES_BACK[lang],
                       decision_cycle="fast")
    assert move_texts().push_back_why["fast"].get(lang) in prompts[0]
    assert move_texts().push_back_why["committee"].get(lang).split("{")[0] not in prompts[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_line_that_gives_in_to_pressure_is_regenerated_with_the_reason(fake_openai, lang):
    def caves_first(body):
        return PUSHES_BACK[lang] if any(w in _system(body) for w in REGENERATE) else CAVES[lang]

    result, prompts = _turn(fake_openai, PERSONAS[lang], PRESSURE[lang][0], caves_first)
    reason = {"zh": "被销售一催就答应了", "en": "gives in to the rep's pressure to close"}[lang]
    assert result.customer_text == PUSHES_BACK[lang] and result.origin.source == "llm"
    assert any(reason in n for n in result.origin.notices)
    assert len(prompts) == 2 and reason in prompts[1]  # the regeneration is told why


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_model_that_keeps_giving_in_to_pressure_gives_way_to_the_offline_customer(fake_openai, lang):
    import re

    result, _ = _turn(fake_openai, PERSONAS[lang], PRESSURE[lang][1], lambda body: CAVES[lang])
    assert result.origin.source == "offline" and CAVES[lang] not in result.customer_text
    assert re.search(PUSH_BACK_WORDS, result.customer_text, re.IGNORECASE), result.customer_text
    assert not result.state.next_step_agreed and result.act.kind not in {"agree_next_step", "buying_signal"}
    reason = {"zh": "被销售一催就答应了", "en": "gives in to the rep's pressure to close"}[lang]
    assert any(reason in n for n in result.origin.notices)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_happy_customer_is_told_to_stand_up_for_its_vendor_an_unhappy_one_to_doubt_the_rep(fake_openai, lang):
    vendor = PERSONAS[lang].competitor
    happy, happy_prompts = _turn(fake_openai, PERSONAS[lang], PUT_DOWN[lang], lambda body: DEFENDS[lang],
                                 satisfaction=0.9)
    assert any(r.kind == "defend_vendor" and r.stance == "defend" for r in happy.act.reactions)
    defend = move_texts().defend_vendor["defend"].get(lang).format(competitor=vendor)
    assert defend in happy_prompts[0] and vendor in happy_prompts[0]
    unhappy, unhappy_prompts = _turn(fake_openai, PERSONAS[lang], PUT_DOWN[lang], lambda body: DEFENDS[lang],
                                     satisfaction=0.2)
    assert any(r.kind == "defend_vendor" and r.stance == "sceptic" for r in unhappy.act.reactions)
    assert move_texts().defend_vendor["sceptic"].get(lang) in unhappy_prompts[0]
    assert defend not in unhappy_prompts[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_cost_argument_gets_the_numbers_asked_for_or_a_condition_by_budget_sensitivity(fake_openai, lang):
    texts = move_texts()
    sensitive, prompts = _turn(fake_openai, PERSONAS[lang], COST[lang], lambda body: ASKS[lang],
                               budget_sensitivity=0.9, competitor="", satisfaction=None)
    assert any(r.kind == "cost" and r.stance == "ask_numbers" for r in sensitive.act.reactions)
    assert texts.cost.get(lang).split("{")[0] in prompts[0]
    assert texts.cost_stances["ask_numbers"].get(lang) in prompts[0]
    relaxed, prompts = _turn(fake_openai, PERSONAS[lang], COST[lang], lambda body: ASKS[lang],
                             budget_sensitivity=0.1)
    assert any(r.kind == "cost" and r.stance == "accept_condition" for r in relaxed.act.reactions)
    assert texts.cost_stances["accept_condition"].get(lang) in prompts[0]
    assert texts.cost_stances["ask_numbers"].get(lang) not in prompts[0]


def test_the_chinese_prompt_carries_no_english_codes_for_these_moves(fake_openai):
    for reply in (PRESSURE["zh"][0], PUT_DOWN["zh"], COST["zh"]):
        _, prompts = _turn(fake_openai, ZH, reply, lambda body: PUSHES_BACK["zh"])
        assert move_texts().header.zh in prompts[0], reply  # the move is in the prompt, in Chinese words
        for code in ("push_back", "defend_vendor", "sceptic", "ask_numbers", "accept_condition", "committee",
                     "standard", "{", "}"):
            assert code not in prompts[0], (reply, code)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_eval_reports_the_llm_paths_push_back_vendor_and_cost_rates_before_and_after_the_guards(lang, monkeypatch):
    import evals.roleplay.realizers as realizers
    from evals.roleplay.realizers import attach_realizers
    from evals.roleplay.runner import play, scripts
    from personas import load_pool_deals
    from scenarios import get_scenario

    spec = get_scenario({"zh": "zh-saas-price", "en": "en-shop-price"}[lang])
    engine = RolePlayEngine(grade=flat_grade())  # the offline customer: the LLM figures come from the fake server
    run = play(engine, spec, load_pool_deals(spec.pool), 0, scripts()["weak"][lang], 2)
    monkeypatch.setattr(realizers, "SCRIPTED_SLIP", 0.6)  # a model that gives in more often than not
    monkeypatch.setattr(realizers, "SCRIPTED_SESSIONS", 3)
    out: dict = {}
    attach_realizers(out, {lang: {"strong": [run], "weak": []}}, engine, [spec.id], 2, 2, [])
    listening = out["realizers"]["llm_scripted"]["listening"]
    before, after = listening["before_guards"][lang], listening["after_guards"][lang]
    assert before["probes"]["pressure"] == 3 and before["probes"]["put_down"] == 3 and before["probes"]["cost"] == 3
    assert before["push_back_rate"] < 1.0  # the stand-in gave in now and then
    assert after["push_back_rate"] == 1.0 > before["push_back_rate"]  # the guard caught every time it did
    assert {"vendor_defended_rate", "cost_reaction_rate"} <= set(after)
    guard = listening["guard_on_offline_lines"][lang]
    assert not [e for e in guard["examples"] if e["why"] == "pressured"]  # offline push-backs are never rejected
