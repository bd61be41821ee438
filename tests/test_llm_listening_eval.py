"""`coach eval roleplay --json` → realizers["llm_scripted"]: the LLM path's listening before and after the guards,
against a scripted model on the fake OpenAI-compatible server that now and then ignores the rep's question,
chats along with small talk or obeys an order to agree. zh and en."""

from __future__ import annotations

import pytest
from test_roleplay_policy import fake_grade

from coach.roleplay.engine import RolePlayEngine
from evals.roleplay.scripted_llm import ScriptedCustomer

SCENARIOS = {"zh": "zh-saas-price", "en": "en-shop-price"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_eval_reports_llm_listening_before_and_after_the_guards(lang, monkeypatch):
    import evals.roleplay.realizers as realizers
    from evals.roleplay.realizers import attach_realizers
    from evals.roleplay.runner import play, scripts
    from personas import load_pool_deals
    from scenarios import get_scenario

    spec = get_scenario(SCENARIOS[lang])
    engine = RolePlayEngine(grade=fake_grade)  # the offline customer: the LLM figures come from the fake server
    run = play(engine, spec, load_pool_deals(spec.pool), 0, scripts()["weak"][lang], 2)
    monkeypatch.setattr(realizers, "SCRIPTED_SLIP", 0.6)  # a model that ignores the rep more often than not
    # 4 sessions (about 11 question probes per language): with 2 (6 probes) one path-dependent miss the guards
    # let through (「别光说好听的」 after a budget question) hid their effect
    monkeypatch.setattr(realizers, "SCRIPTED_SESSIONS", 4)
    out: dict = {}
    attach_realizers(out, {lang: {"strong": [run], "weak": []}}, engine, [spec.id], 2, 2, [])
    listening = out["realizers"]["llm_scripted"]["listening"]
    before, after = listening["before_guards"][lang], listening["after_guards"][lang]
    assert before["probes"]["question"] > 0 and before["probes"]["off_topic"] > 0
    # the scripted model slips: before the guards some questions go unanswered; after them more are answered
    assert before["question_answer_rate"] < 1.0
    assert after["question_answer_rate"] > before["question_answer_rate"]
    assert after["turns_with_notices"] > 0 and before["turns_with_notices"] == 0
    for figures in (before, after):
        assert {"offer_reaction_rate", "pull_back_rate", "instruction_ignored_rate", "contradictions",
                "fallbacks"} <= set(figures)
    guard = listening["guard_on_offline_lines"][lang]
    assert guard["lines"] > 50 and guard["rejected"] < guard["lines"] * 0.2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_scripted_model_follows_the_prompt_unless_it_slips(lang):
    from coach.roleplay.llm_realizer import build_messages
    from coach.roleplay.persona_view import PersonaView
    from coach.roleplay.realizer import RealizeRequest
    from coach.roleplay.state import Act, CustomerState, Reaction

    persona = PersonaView(name="x", lang=lang, budget="20万" if lang == "zh" else "$40k")
    question = "预算大概多少？" if lang == "zh" else "What budget do you have?"
    act = Act(kind="reveal_fact", fact="budget", reactions=[Reaction(kind="answer", topic="budget", fact="budget")])
    request = RealizeRequest(act=act, persona=persona, state=CustomerState(revealed=["budget"]),
                             history=[("trainee", question)], trainee_reply=question)
    body = {"messages": [{"role": "system", "content": build_messages(request, [])[0].content},
                         {"role": "user", "content": question}]}
    assert persona.budget in ScriptedCustomer(slip=0.0)(body)
    assert persona.budget not in ScriptedCustomer(slip=1.0)(body)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_configured_llm_gets_its_own_listening_figures(fake_openai, lang, monkeypatch):
    import evals.roleplay.realizers as realizers
    from coach.roleplay.llm_realizer import LLMRealizer
    from evals.roleplay.realizers import attach_realizers
    from evals.roleplay.runner import play, scripts
    from personas import load_pool_deals
    from scenarios import get_scenario

    fake_openai.handler = ScriptedCustomer(slip=0.6)  # the "configured" model is the scripted one here
    monkeypatch.setattr(realizers, "SCRIPTED_SESSIONS", 1)
    spec = get_scenario(SCENARIOS[lang])
    engine = RolePlayEngine(grade=fake_grade, realizer=LLMRealizer())
    run = play(engine, spec, load_pool_deals(spec.pool), 0, scripts()["weak"][lang], 2)
    out: dict = {}
    attach_realizers(out, {lang: {"strong": [run], "weak": []}}, engine, [spec.id], 8, 2, [])  # 4 listening sessions
    listening = out["realizers"]["llm"]["listening"]
    before, after = listening["before_guards"][lang], listening["after_guards"][lang]
    assert after["question_answer_rate"] > before["question_answer_rate"]
    assert after["pull_back_rate"] >= before["pull_back_rate"] and after["fallbacks"] >= before["fallbacks"]
