"""The dialogue policy and the offline engine, with a fake grader injected (the real one has its own tests)."""

from __future__ import annotations

import random

from coach.roleplay.engine import RolePlayEngine, Setup
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.policy import HiddenObjection, PolicyConfig, ReplySignal, choose_act, update_state
from coach.roleplay.state import CustomerState


class FakeGrade:
    def __init__(self, score, steps=(), anti=()):
        self.score, self.steps, self.anti_patterns = score, {s: True for s in steps}, list(anti)

    def model_dump(self, mode="json"):
        return {"score": self.score, "steps": self.steps, "anti_patterns": self.anti_patterns}


def fake_grade(customer, reply, objection, lang, weights, persona):
    """Good replies contain 数据/data and a next step; poor ones only agree."""
    strong = any(w in reply for w in ("数据", "案例", "data", "case"))
    steps = ["acknowledge", "evidence"] + (["advance"] if any(w in reply for w in ("演示", "demo")) else [])
    return FakeGrade(88, steps) if strong else FakeGrade(25, ["acknowledge"], ["empty_agreement"])


PERSONA_ZH = PersonaView(name="周女士", company="[公司A]", lang="zh", competitor="云帆CRM", budget="20万",
                         facts={"budget": "20万", "current_vendor": "云帆CRM"})
PERSONA_EN = PersonaView(name="Dana Reed", company="Northwind", lang="en", competitor="SalesPilot", budget="$40k",
                         facts={"budget": "$40k"})
SETUP_ZH = Setup(scenario_id="t", lang="zh", objections=[HiddenObjection("price", severity=0.5),
                                                         HiddenObjection("competitor", severity=0.4)])
SETUP_EN = Setup(scenario_id="t", lang="en", objections=[HiddenObjection("price")])


def play(setup, persona, replies, seed=7):
    engine = RolePlayEngine(grade=fake_grade)
    state, act, text = engine.open(setup, persona, seed)
    history = [("customer", text)]
    results = []
    for reply in replies:
        result = engine.step(setup, persona, state, seed, history, reply)
        history += [("trainee", reply), ("customer", result.customer_text)]
        state = result.state
        results.append(result)
        if result.ended:
            break
    return act, text, results


def test_opening_raises_first_objection_in_chinese():
    act, text, _ = play(SETUP_ZH, PERSONA_ZH, [])
    assert act.kind == "raise_objection" and act.objection == "price"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_good_handling_drops_the_objection_and_poor_handling_gets_pressed():
    _, _, good = play(SETUP_ZH, PERSONA_ZH, ["理解您的顾虑，给您看一组同行的数据和案例"])
    _, _, poor = play(SETUP_ZH, PERSONA_ZH, ["您说得对"])
    assert good[0].act.kind == "drop_objection"
    assert "price" in good[0].state.resolved
    assert poor[0].act.kind == "press_objection" and poor[0].state.active == "price"


def test_weak_trainee_loses_the_customer_strong_one_gets_next_step():
    _, _, weak = play(SETUP_ZH, PERSONA_ZH, ["您说得对"] * 20)
    _, _, strong = play(SETUP_ZH, PERSONA_ZH, ["这是同行的数据和案例，我们约个演示吧"] * 20)
    assert weak[-1].ended and weak[-1].act.kind == "end_call"
    assert strong[-1].ended and strong[-1].act.kind == "agree_next_step"
    assert len(strong[-1].state.resolved) == 2


def test_same_seed_same_conversation_and_no_repeated_lines_english():
    a = play(SETUP_EN, PERSONA_EN, ["you're right", "I understand", "ok", "here is data from a case"])
    b = play(SETUP_EN, PERSONA_EN, ["you're right", "I understand", "ok", "here is data from a case"])
    assert [r.customer_text for r in a[2]] == [r.customer_text for r in b[2]]
    lines = [a[1]] + [r.customer_text for r in a[2]]
    assert len(set(lines)) == len(lines)


def test_good_question_reveals_a_persona_fact_verbatim():
    state = CustomerState(active="price", raised=["price"])
    signal = ReplySignal(score=50, steps=frozenset({"clarify"}), asks_question=True, text="您的预算大概多少？")
    update_state(state, signal, {"price": 0.9}, PolicyConfig(facts=["budget"]))
    act = choose_act(state, signal, [HiddenObjection("price", severity=0.9)], PolicyConfig(facts=["budget"]),
                     random.Random(1))
    assert act.kind == "reveal_fact" and act.fact == "budget"


def test_mention_trigger_waits_for_the_word():
    objections = [HiddenObjection("competitor", trigger="mention:竞品|competitor")]
    state = CustomerState(pending=["competitor"], last_act=None)
    from coach.roleplay.state import Act

    state.last_act = Act(kind="drop_objection")
    quiet = ReplySignal(score=70, text="我们聊聊需求")
    act = choose_act(state, quiet, objections, PolicyConfig(), random.Random(0))
    assert act.kind != "raise_objection"
    loud = ReplySignal(score=70, text="您现在用的竞品是哪家？")
    act = choose_act(state, loud, objections, PolicyConfig(), random.Random(0))
    assert act.kind == "raise_objection" and act.objection == "competitor"


def _last_turn(persona, text, pending=(), active=None):
    state = CustomerState(turn=10, trust=0.9, pending=list(pending), active=active)
    cfg = PolicyConfig(max_turns=10, facts=list(persona.facts), persona=persona)
    signal = ReplySignal(score=80, steps=frozenset({"advance"}), text=text)
    return choose_act(state, signal, [], cfg, random.Random(1)), state


def test_a_settled_customer_takes_a_next_step_proposed_on_the_last_turn():
    for persona, text in ((PERSONA_ZH, "那就定下周二下午两点演示，我先把合同样本发您。"),
                          (PERSONA_EN, "Let's lock in the demo next Tuesday at 2pm; I'll send the contract first.")):
        act, state = _last_turn(persona, text)
        assert act.kind == "agree_next_step" and state.next_step_agreed, act


def test_the_last_turn_still_ends_the_call_while_a_concern_is_open():
    for persona, text in ((PERSONA_ZH, "那就定下周二下午两点演示吧。"), (PERSONA_EN, "Let's book the demo next Tuesday.")):
        assert _last_turn(persona, text, active="price")[0].kind == "end_call"
        assert _last_turn(persona, text, pending=["trust"])[0].kind == "end_call"
