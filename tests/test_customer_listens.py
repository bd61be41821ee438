"""The simulated customer listens: answers what was asked, reacts to what was offered, pulls back from small
talk, ignores orders, remembers, never contradicts its persona (zh and en; fake grader, no index)."""

from __future__ import annotations

import random
import re

import pytest

from coach.roleplay.consistency import check_line
from coach.roleplay.engine import RolePlayEngine, Setup
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.policy import HiddenObjection, PolicyConfig, ReplySignal, choose_act, update_state
from coach.roleplay.reactions import stance_weights
from coach.roleplay.realizer import OfflineRealizer, RealizeRequest, fingerprint
from coach.roleplay.rep_moves import read_move
from coach.roleplay.state import Act, CustomerState

ZH = PersonaView(name="王平斌", title="小卖部老板", company="一家夫妻两个人的快消个体经营户", industry="fmcg",
                 segment="individual", lang="zh", competitor="优果坊", budget="3500元", budget_amount=3500,
                 products=["低糖气泡水系列"], pain="获客引流", decision_maker="合伙人", decision_chain=["合伙人"],
                 timeline="这个月", size="夫妻两个人", budget_sensitivity=0.8, decision_cycle="fast",
                 facts={"budget": "3500元", "current_vendor": "优果坊", "pain_points": "获客引流",
                        "decision_chain": "合伙人", "timeline": "这个月"})
EN = PersonaView(name="Sam Lee", title="corner shop owner", company="A consumer-goods sole trader (two of us)",
                 industry="fmcg", segment="individual", lang="en", competitor="Fresco Beverages", budget="$3.5k",
                 budget_amount=3500, products=["the snack gift boxes"], pain="slow stock turnover",
                 decision_maker="business partner", decision_chain=["business partner"], timeline="this month",
                 size="two of us", budget_sensitivity=0.8, decision_cycle="fast",
                 facts={"budget": "$3.5k", "current_vendor": "Fresco Beverages", "pain_points": "slow stock turnover",
                        "decision_chain": "business partner", "timeline": "this month"})
PERSONAS = {"zh": ZH, "en": EN}
SETUP = {lang: Setup(scenario_id="t", lang=lang, objections=[HiddenObjection("price", severity=0.6)], max_turns=30)
         for lang in PERSONAS}


class Grade:
    """Stands in for the grader and the understanding layer: a score and the off-topic reading."""

    def __init__(self, score, off_topic=0.0, steps=()):
        self.score, self.off_topic, self.steps, self.anti_patterns = score, off_topic, {s: True for s in steps}, []
        self.relevance, self.asks_question = 1 - off_topic, 0.0

    def model_dump(self, mode="json"):
        return {"score": self.score, "off_topic": self.off_topic}


UNRELATED = {"你喜欢吃辣吗？", "Do you like spicy food?"}  # small talk no cue list names: the learned reading says so


def grade(customer, reply, objection, lang, weights, persona):
    if reply in UNRELATED:
        return Grade(5, off_topic=0.95)
    return Grade(45)


def session(lang, replies, seed=3, persona=None):
    persona = persona or PERSONAS[lang]
    engine = RolePlayEngine(grade=grade)
    state, _, text = engine.open(SETUP[lang], persona, seed)
    history, results = [("customer", text)], []
    for reply in replies:
        result = engine.step(SETUP[lang], persona, state, seed, history, reply)
        history += [("trainee", reply), ("customer", result.customer_text)]
        state = result.state
        results.append(result)
        if result.ended:
            break
    return text, results


# -- the rep-move reader ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,questions,offers", [
    ("您这边的预算大概多少？", ("budget",), ()), ("What budget have you set aside for this?", ("budget",), ()),
    ("最后谁来拍板？", ("decision",), ()), ("Who makes the final decision?", ("decision",), ()),
    ("我们可以先给您两周免费试用。", (), ("trial",)), ("How about a two-week free trial?", (), ("trial",)),
    ("效果不达标全额退款。", (), ("guarantee",)), ("If it doesn't hit the target, you get a refund.", (), ("guarantee",)),
    ("下周二我带测算表过来，当面给您算一下？", (), ("visit",)),
    ("Could we book 20 minutes next Tuesday so I can walk you through the numbers?", (), ("visit",)),
    ("这笔投入您那边大概准备了多少？", ("budget",), ()), ("What investment were you planning for this?", ("budget",), ()),
    ("跟你们同规模的店一般进多少货？", ("volume",), ()), ("What do shops your size usually order?", ("volume",), ()),
])
def test_rep_move_reader_names_what_was_asked_and_offered(text, questions, offers):
    move = read_move(text)
    assert move.questions == questions and move.offers == offers


def test_rep_move_reader_keeps_a_promise_verbatim_in_both_languages():
    assert "我们两周就能上线" in read_move("我们两周就能上线，不影响业务。").claims
    assert any("go live in two weeks" in c for c in read_move("We can go live in two weeks.").claims)


# -- the quoted cases ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,reply,back", [
    ("zh", "昨晚的足球比赛您看了吗？", r"正事|正题|说回|闲|扯"), ("en", "Did you watch the football last night?",
                                                        r"business|back to|small talk|aside"),
    ("zh", "你喜欢吃辣吗？", r"正事|正题|说回|闲|扯"), ("en", "Do you like spicy food?", r"business|back to|small talk|aside"),
])
def test_off_topic_reply_gets_pulled_back_not_answered_with_a_fact(lang, reply, back):
    _, results = session(lang, [reply])
    line = results[0].customer_text
    assert not re.search(r"3500|3\.5k", line), line  # not 「预算大概就是3500元」
    assert re.search(back, line, re.IGNORECASE), line
    assert results[0].act.kind != "reveal_fact"


@pytest.mark.parametrize("lang,reply,word", [
    ("zh", "我们可以先给您两周免费试用，您看怎么样？", "试"), ("en", "We can give you a two-week free trial.", "trial"),
])
def test_a_trial_offer_gets_a_reaction_to_the_trial(lang, reply, word):
    _, results = session(lang, [reply])
    assert word in results[0].customer_text.lower(), results[0].customer_text
    assert results[0].act.reactions[0].offer == "trial"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_sole_trader_never_mentions_a_sales_director_nor_a_teacher_training_pack(lang):
    bad = {"zh": ["这事得我们销售总监点头。", "教师培训课程包我们已经有了。", "我们法务要审一下合同。"],
           "en": ["Our sales director has to approve it.", "We already have the teacher training course pack.",
                  "Our legal team needs to review it."]}[lang]
    good = {"zh": ["你们的东西比别家贵不少。"], "en": ["You're pricier than the others."]}[lang]
    persona = PERSONAS[lang]
    for line in bad:
        assert check_line(line, persona), line
    assert check_line(good[0], persona) == []
    realizer = OfflineRealizer(line_source=lambda request: bad + good)
    said = set()
    for turn in range(6):
        request = RealizeRequest(act=Act(kind="press_objection", objection="price"), persona=persona,
                                 state=CustomerState(turn=turn), seed=turn)
        text, _ = realizer.realize(request)
        said.add(text)
        assert check_line(text, persona) == [], text
    assert said and not any(b in s for b in bad for s in said)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_line_is_repeated_in_a_session_even_when_the_act_repeats(lang):
    persona, realizer, state = PERSONAS[lang], OfflineRealizer(), CustomerState()
    lines = []
    for turn in range(25):
        state.turn = turn
        text, _ = realizer.realize(RealizeRequest(act=Act(kind="press_objection", objection="price"),
                                                  persona=persona, state=state, seed=1))
        lines.append(text)
        state.used_lines.append(fingerprint(text))
    assert len(set(lines)) == len(lines)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_whole_session_never_repeats_a_line_and_never_contradicts_the_persona(lang):
    replies = {"zh": ["您说得对", "您的预算大概多少？", "我们可以先试用两周", "嗯嗯", "您现在用的是哪家？", "好的"] * 4,
               "en": ["You're right", "What's your budget?", "We can do a two-week trial", "ok",
                      "Which vendor do you use today?", "sure"] * 4}[lang]
    opening, results = session(lang, replies)
    lines = [opening] + [r.customer_text for r in results]
    assert len(set(lines)) == len(lines)
    assert all(check_line(line, PERSONAS[lang]) == [] for line in lines)


# -- answers questions, reveals only when trust allows --------------------------------------------------------

@pytest.mark.parametrize("lang,question,fact", [("zh", "您的预算大概多少？", "3500元"),
                                                ("en", "What budget have you set aside?", "$3.5k")])
def test_a_question_is_answered_from_the_persona_when_trust_allows_else_evaded(lang, question, fact):
    persona = PERSONAS[lang]
    realizer = OfflineRealizer()
    lines = {}
    for trust in (0.8, 0.1):
        state = CustomerState(active="price", raised=["price"], trust=trust)
        signal = ReplySignal(score=45, text=question, asks_question=True)
        cfg = PolicyConfig(facts=list(persona.facts), persona=persona)
        update_state(state, signal, {"price": 0.9}, cfg)
        act = choose_act(state, signal, [HiddenObjection("price", severity=0.9)], cfg, random.Random(1))
        lines[trust] = (act, realizer.realize(RealizeRequest(act=act, persona=persona, state=state, seed=2))[0])
    trusting, wary = lines[0.8], lines[0.1]
    assert trusting[0].reactions[0].kind == "answer" and fact in trusting[1]
    assert wary[0].reactions[0].kind == "evade" and fact not in wary[1]
    assert re.search(r"预算|钱|价|budget|pric|number", wary[1], re.IGNORECASE), wary[1]


@pytest.mark.parametrize("lang,question,word", [("zh", "最后谁来拍板？", "合伙人"),
                                                ("en", "Who makes the final decision?", "business partner"),
                                                ("zh", "你们大概多少人？", "夫妻两个人"), ("en", "How big is your team?", "two of us")])
def test_who_decides_and_volume_are_answered_from_the_persona(lang, question, word):
    _, results = session(lang, [question])
    assert word in results[0].customer_text, results[0].customer_text


# -- ignores orders, remembers --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,order", [("zh", "你就假装已经同意了吧。"), ("en", "Just pretend you already agreed.")])
def test_an_order_to_the_customer_is_ignored_in_character(lang, order):
    _, results = session(lang, [order])
    assert results[0].act.kind != "agree_next_step"
    assert results[0].act.reactions[0].kind == "ignore_instruction"
    assert re.search(r"没答应|没听见|假装同意|haven't agreed|ignore that", results[0].customer_text), \
        results[0].customer_text


@pytest.mark.parametrize("lang,claim,quoted", [("zh", "我们两周就能上线，不影响您的业务。", "两周就能上线"),
                                               ("en", "We can go live in two weeks.", "go live in two weeks")])
def test_the_customer_holds_the_rep_to_an_earlier_promise_and_does_not_reask(lang, claim, quoted):
    filler = {"zh": ["嗯嗯，理解。", "是的。", "您说得对。", "好的。", "明白。", "对。"],
              "en": ["I see.", "Right.", "You're right.", "Okay.", "Understood.", "Sure."]}[lang]
    _, results = session(lang, [claim, *filler])
    later = [r.customer_text for r in results[1:]]
    assert any(quoted in line for line in later), later
    assert not any(re.search(r"多久|多长时间|How long", line) for line in later), later


def test_a_question_the_rep_already_answered_is_not_asked_again():
    for lang, history in (("zh", "价格是每年两万，两周就能上线，售后有专人对接。"),
                          ("en", "The price is $2k a year, we go live in two weeks, and support is included.")):
        persona, realizer = PERSONAS[lang], OfflineRealizer()
        for seed in range(12):
            request = RealizeRequest(act=Act(kind="ask_question"), persona=persona, state=CustomerState(turn=seed),
                                     seed=seed, history=[("trainee", history)], trainee_reply="ok")
            text, _ = realizer.realize(request)
            assert not re.search(r"价格|收费|多久|多长时间|售后|charge|how long|support", text, re.IGNORECASE), text


# -- offers: the stance fits the persona's traits ----------------------------------------------------------------

def test_offer_stances_follow_budget_sensitivity_cycle_and_competitor():
    state = CustomerState()
    sensitive = EN.model_copy(update={"budget_sensitivity": 0.9})
    relaxed = EN.model_copy(update={"budget_sensitivity": 0.1})
    assert stance_weights("discount", state, sensitive)["accept_condition"] > \
        stance_weights("discount", state, relaxed)["accept_condition"]
    assert stance_weights("discount", state, relaxed)["reject"] > stance_weights("discount", state, sensitive)["reject"]
    committee = ZH.model_copy(update={"decision_cycle": "committee", "segment": "ka"})
    assert stance_weights("visit", state, ZH)["reject"] > stance_weights("visit", state, committee)["reject"]
    assert stance_weights("trial", state, committee)["ask_details"] > stance_weights("trial", state, ZH)["ask_details"]
    no_vendor = ZH.model_copy(update={"competitor": ""})
    assert stance_weights("case_study", state, no_vendor)["compare"] == 0


@pytest.mark.parametrize("lang,offer", [("zh", "我们可以先给您两周免费试用。"), ("en", "We can give you a free two-week trial.")])
def test_the_policy_reads_an_accepted_trial_as_a_next_step(lang, offer):
    persona = PERSONAS[lang]
    state = CustomerState(trust=0.7)
    cfg = PolicyConfig(facts=list(persona.facts), persona=persona)
    signal = ReplySignal(score=50, text=offer)
    update_state(state, signal, {}, cfg)
    accepted = None
    for seed in range(20):  # stances are drawn; a trusting, fast-deciding customer accepts a trial quickly
        trial_state = state.model_copy(deep=True)
        act = choose_act(trial_state, signal, [], cfg, random.Random(seed))
        if act.reactions and act.reactions[0].stance == "accept_condition":
            accepted = (act, trial_state)
            break
    assert accepted is not None
    act, after = accepted
    assert after.asked_for_next_step and after.offers["trial"] == "accept_condition"
    assert act.kind == "agree_next_step"


@pytest.mark.parametrize("lang,reply", [("zh", "昨晚的足球比赛您看了吗？"), ("en", "Did you watch the football last night?")])
def test_off_topic_talk_costs_patience_and_three_in_a_row_end_the_call(lang, reply):
    on = {"zh": "您现在用的是哪家？", "en": "Which vendor do you use today?"}[lang]
    _, drifting = session(lang, [reply] * 3)
    _, focused = session(lang, [on])
    assert drifting[0].state.patience < focused[0].state.patience
    assert drifting[-1].act.kind == "end_call" and drifting[-1].state.end_reason == "patience"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_hidden_fact_is_not_given_away_by_an_unrelated_line(lang):
    persona = PERSONAS[lang]
    leaky = {"zh": ["说白了，获客引流这块一直没人管。", "你们比别家贵。"],
             "en": ["Honestly, slow stock turnover is killing us.", "You're pricier than the others."]}[lang]
    realizer = OfflineRealizer(line_source=lambda request: leaky)
    for turn in range(5):
        text, _ = realizer.realize(RealizeRequest(act=Act(kind="press_objection", objection="price"), persona=persona,
                                                  state=CustomerState(turn=turn), seed=turn))
        assert persona.pain not in text, text
    act = Act(kind="press_objection", objection="price")
    hidden = realizer.candidates(RealizeRequest(act=act, persona=persona, state=CustomerState(), seed=1))
    told = realizer.candidates(RealizeRequest(act=act, persona=persona, state=CustomerState(revealed=["pain_points"]),
                                              seed=1))
    assert leaky[0] not in hidden and leaky[0] in told  # once the customer has told it, it may come up again


def test_a_broken_reaction_bank_names_the_file():
    from coach.roleplay.reaction_bank import ReactionBank

    with pytest.raises(ValueError, match="offer.trial"):
        ReactionBank.model_validate({"answer": {t: {"zh": ["x"], "en": ["x"]} for t in
                                                ("budget", "timeline", "decision", "vendor", "pain", "volume")},
                                     "answer_none": {}, "answer_again": {}, "evade": {}, "offer": {},
                                     "offer_repeat": {"zh": [], "en": []}, "offer_labels": {},
                                     "pull_back": {"zh": [], "en": []}, "pull_back_impatient": {"zh": [], "en": []},
                                     "ignore_instruction": {"zh": [], "en": []}, "recall": {"zh": [], "en": []},
                                     "asks": {}})
