"""The customer hears three more rep moves (issue 15): pressure to close, running down the vendor it uses, and a
cost argument; and reacts in character (zh and en), through the real engine with a fake grader."""

from __future__ import annotations

import re

import pytest

from coach.roleplay.consistency import check_line
from coach.roleplay.engine import RolePlayEngine, Setup
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.policy import HiddenObjection
from coach.roleplay.reaction_bank import fill, load_reaction_bank, reaction_lines
from coach.roleplay.rep_moves import read_move, runs_down
from coach.roleplay.state import CustomerState, Reaction

ZH = PersonaView(name="刘建国", title="店主", company="一家夫妻两个人的SaaS个体经营户", industry="saas",
                 segment="individual", lang="zh", competitor="青禾CRM", budget="8000元", budget_amount=8000,
                 products=["销售CRM标准版"], pain="客户跟进漏单", decision_maker="合伙人", decision_chain=["合伙人"],
                 timeline="下个季度", size="夫妻两个人", budget_sensitivity=0.8, decision_cycle="standard",
                 temperament="cautious", satisfaction=0.8,
                 facts={"budget": "8000元", "current_vendor": "青禾CRM", "pain_points": "客户跟进漏单",
                        "decision_chain": "合伙人", "timeline": "下个季度"})
EN = PersonaView(name="Pat Hale", title="co-owner", company="A consumer-goods sole trader (two of us)",
                 industry="fmcg", segment="individual", lang="en", competitor="Orchard Row", budget="$3.5k",
                 budget_amount=3500, products=["the regional distribution rights"], pain="slow stock turnover",
                 decision_maker="co-owner", decision_chain=["co-owner"], timeline="next quarter", size="two of us",
                 budget_sensitivity=0.8, decision_cycle="standard", temperament="cautious", satisfaction=0.8,
                 facts={"budget": "$3.5k", "current_vendor": "Orchard Row", "pain_points": "slow stock turnover",
                        "decision_chain": "co-owner", "timeline": "next quarter"})
PERSONAS = {"zh": ZH, "en": EN}
PRESSURE = {"zh": ["您就赶紧定了吧。", "今天不定就没这个价了。"],
            "en": ["Just sign today.", "You should decide now, the offer ends Friday."]}
PUT_DOWN = {"zh": "青禾CRM那种东西就是垃圾。", "en": "Orchard Row is junk."}
NEUTRAL = {"zh": "我们的系统很稳定。", "en": "Our system is very stable."}  # same grade, no put-down
COST = {"zh": "算下来三年总成本比您现在还低。", "en": "Over three years the total cost is lower than what you pay now."}
PUSH_BACK_WORDS = r"催|急|定不了|不定|不会.{0,4}定|节奏|流程|想清楚|核实|rush|push|pressure|not today|won't be today|" \
                  r"on the spot|hurry|pace|process|decide when|not deciding|closer I look|burned"


class Grade:
    def __init__(self, score, steps=()):
        self.score, self.steps, self.anti_patterns = score, {s: True for s in steps}, []
        self.relevance, self.asks_question, self.off_topic = 1.0, 0.0, 0.0

    def model_dump(self, mode="json"):
        return {"score": self.score, "steps": self.steps}


def flat_grade(score=45, steps=()):
    """Every reply gets the same grade: whatever differs in the customer's reaction comes from what it heard."""
    return lambda customer, reply, objection, lang, weights, persona: Grade(score, steps)


def session(persona, replies, grade=None, objections=("price",), seed=3, max_turns=30):
    setup = Setup(scenario_id="t", lang=persona.lang, max_turns=max_turns,
                  objections=[HiddenObjection(o, severity=0.6) for o in objections])
    engine = RolePlayEngine(grade=grade or flat_grade())
    state, _, text = engine.open(setup, persona, seed)
    history, results, before = [("customer", text)], [], [state.model_copy(deep=True)]
    for reply in replies:
        result = engine.step(setup, persona, state, seed, history, reply)
        history += [("trainee", reply), ("customer", result.customer_text)]
        before.append(result.state)
        state = result.state
        results.append(result)
        if result.ended:
            break
    return text, results, before


# -- the rep-move reader -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Just sign today, it's a great deal.", "You should decide now, the offer ends Friday.",
                                  "您就赶紧定了吧，这个价格很划算的。", "今天不定就没这个价了。"])
def test_the_reader_hears_pressure_to_close(text):
    assert read_move(text).pressure


@pytest.mark.parametrize("text", ["If you sign this month I can give you 10% off.", "这个月签的话我可以给您打个九折。",
                                  "Could we book 20 minutes next Tuesday with you and your boss?",
                                  "那我们约下周二下午，请您和老板一起看二十分钟，您看方便吗？",
                                  "现在决定权在谁手里？", "By when do you need to decide?"])
def test_a_proposal_or_a_question_about_timing_is_not_pressure(text):
    assert not read_move(text).pressure


@pytest.mark.parametrize("text,vendor,hit", [
    ("Orchard Row is junk.", "Orchard Row", True), ("青禾CRM那种东西就是垃圾。", "青禾CRM", True),
    ("Our product is the best, the others are junk.", "Orchard Row", True),
    ("我们的产品是最好的，别家都不行。", "青禾CRM", True),
    ("Larkspur CRM is junk.", "Orchard Row", False), ("简拓SCRM早就过时了。", "青禾CRM", False),
    ("Unlike Orchard Row, we include onboarding.", "Orchard Row", False), ("青禾CRM也不错，我们的优势在售后。", "青禾CRM", False),
])
def test_the_reader_hears_who_was_run_down(text, vendor, hit):
    assert runs_down(read_move(text), vendor) is hit


@pytest.mark.parametrize("text,cost", [(COST["zh"], True), (COST["en"], True), ("长期来看，总成本反而更省。", True),
                                       ("In the long run it pays for itself.", True), ("您说得对。", False),
                                       ("You're right.", False)])
def test_the_reader_hears_a_cost_argument(text, cost):
    assert read_move(text).cost is cost


# -- pressure to close ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pressure_gets_push_back_and_costs_trust_and_patience(lang):
    persona = PERSONAS[lang]
    _, pushed, states = session(persona, PRESSURE[lang][:1])
    _, plain, _ = session(persona, [NEUTRAL[lang]])
    result = pushed[0]
    assert result.act.reactions[0].kind == "push_back", result.act
    assert re.search(PUSH_BACK_WORDS, result.customer_text, re.IGNORECASE), result.customer_text
    assert result.act.kind != "agree_next_step"
    assert result.state.trust < plain[0].state.trust and result.state.patience < plain[0].state.patience
    assert check_line(result.customer_text, persona) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pressure_never_raises_trust_nor_wins_an_agreement_even_graded_well(lang):
    """A well-graded push with a next step in it (the grader saw 'advance') still gets no yes and no trust."""
    persona = PERSONAS[lang]
    grade = flat_grade(85, steps=("acknowledge", "advance"))
    _, results, states = session(persona, PRESSURE[lang][:1], grade=grade, objections=())
    assert results[0].state.trust <= states[0].trust
    assert results[0].act.kind not in {"agree_next_step", "buying_signal"}
    assert not results[0].state.next_step_agreed
    _, proposal, _ = session(persona, [NEUTRAL[lang]], grade=grade, objections=())
    assert proposal[0].act.kind == "agree_next_step"  # the same grade without the push is a yes


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_repeated_pressure_never_wins_and_the_second_push_gets_an_impatient_line(lang):
    persona = PERSONAS[lang]
    _, results, _ = session(persona, PRESSURE[lang] * 4, grade=flat_grade(70, steps=("advance",)), objections=())
    assert all(r.act.kind != "agree_next_step" for r in results)
    again = [fill(t, persona) for t in getattr(load_reaction_bank().push_back["again"], lang)]
    assert any(a in r.customer_text for r in results[1:] for a in again), [r.customer_text for r in results]
    lines = [r.customer_text for r in results]
    assert len(set(lines)) == len(lines)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cautious_and_assertive_customers_push_back_in_their_own_voice(lang):
    bank = load_reaction_bank().push_back
    cautious = PERSONAS[lang].model_copy(update={"temperament": "cautious"})
    assertive = PERSONAS[lang].model_copy(update={"temperament": "assertive"})
    said = {name: set(reaction_lines(Reaction(kind="push_back"), p, CustomerState()))
            for name, p in (("cautious", cautious), ("assertive", assertive))}
    own = {name: {fill(t, p) for t in getattr(bank[name], lang)} for name, p in (("cautious", cautious),
                                                                                  ("assertive", assertive))}
    assert own["cautious"] <= said["cautious"] and not own["assertive"] & said["cautious"]
    assert own["assertive"] <= said["assertive"] and not own["cautious"] & said["assertive"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_long_cycle_customer_resists_pressure_more_and_names_its_process(lang):
    committee = PERSONAS[lang].model_copy(update={"decision_cycle": "committee", "temperament": "direct"})
    fast = PERSONAS[lang].model_copy(update={"decision_cycle": "fast", "temperament": "direct"})
    _, slow_r, slow_s = session(committee, PRESSURE[lang][:1])
    _, fast_r, fast_s = session(fast, PRESSURE[lang][:1])
    assert slow_s[0].trust - slow_r[0].state.trust > fast_s[0].trust - fast_r[0].state.trust
    assert slow_s[0].patience - slow_r[0].state.patience > fast_s[0].patience - fast_r[0].state.patience
    process = [fill(t, committee) for t in getattr(load_reaction_bank().push_back["committee"], lang)]
    assert set(process) <= set(reaction_lines(Reaction(kind="push_back"), committee, CustomerState()))


# -- running down the vendor in use ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_running_down_the_vendor_in_use_gets_it_defended_and_lowers_trust(lang):
    persona = PERSONAS[lang]
    _, insult, _ = session(persona, [PUT_DOWN[lang]])
    _, plain, _ = session(persona, [NEUTRAL[lang]])
    reaction = insult[0].act.reactions[0]
    assert reaction.kind == "defend_vendor" and reaction.stance == "defend"
    assert persona.competitor in insult[0].customer_text, insult[0].customer_text
    assert insult[0].state.trust < plain[0].state.trust
    assert check_line(insult[0].customer_text, persona) == []


@pytest.mark.parametrize("lang,reply", [("zh", "我们的产品是最好的，别家都不行。"),
                                        ("en", "Our product is the best, the others are junk.")])
def test_rivals_run_down_in_general_are_heard_as_the_customers_own_vendor(lang, reply):
    persona = PERSONAS[lang]
    _, insult, _ = session(persona, [reply])
    _, plain, _ = session(persona, [NEUTRAL[lang]])
    assert insult[0].act.reactions[0].kind == "defend_vendor"
    assert insult[0].state.trust < plain[0].state.trust


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unhappy_customer_grows_sceptical_and_one_without_a_vendor_hears_bragging(lang):
    unhappy = PERSONAS[lang].model_copy(update={"satisfaction": 0.2})
    _, results, _ = session(unhappy, [PUT_DOWN[lang]])
    assert results[0].act.reactions[0].stance == "sceptic"
    sceptic = [fill(t, unhappy) for t in getattr(load_reaction_bank().defend_vendor["sceptic"], lang)]
    assert any(s in results[0].customer_text for s in sceptic), results[0].customer_text
    alone = PERSONAS[lang].model_copy(update={"competitor": "", "satisfaction": None,
                                              "facts": {k: v for k, v in PERSONAS[lang].facts.items()
                                                        if k != "current_vendor"}})
    generic = {"zh": "我们的产品是最好的，别家都不行。", "en": "Our product is the best, the others are junk."}[lang]
    _, results, _ = session(alone, [generic])
    assert results[0].act.reactions[0].stance == "brag"
    assert check_line(results[0].customer_text, alone) == []


@pytest.mark.parametrize("lang,reply", [("zh", "简拓SCRM那种东西就是垃圾。"), ("en", "Larkspur CRM is junk.")])
def test_running_down_a_vendor_the_customer_does_not_use_is_not_defended(lang, reply):
    persona = PERSONAS[lang]
    _, other, _ = session(persona, [reply])
    _, own, _ = session(persona, [reply.replace("简拓SCRM", persona.competitor).replace("Larkspur CRM",
                                                                                         persona.competitor)])
    _, plain, _ = session(persona, [NEUTRAL[lang]])
    assert all(r.kind != "defend_vendor" for r in other[0].act.reactions)
    assert other[0].state.trust == plain[0].state.trust  # not the customer's vendor: no offence taken
    assert own[0].act.reactions[0].kind == "defend_vendor" and own[0].state.trust < plain[0].state.trust


# -- cost arguments -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,numbers", [
    ("zh", r"明细|拆开|数字|怎么算|对比|分项|口径|青禾CRM"),
    ("en", r"breakdown|numbers|figures|line by line|side by side|work(ed)? .{0,12}out|year by year|Orchard Row"),
])
def test_a_budget_sensitive_customer_asks_for_the_numbers_or_compares(lang, numbers):
    for seed in range(4):
        _, results, _ = session(PERSONAS[lang], [COST[lang]], seed=seed)
        reaction = results[0].act.reactions[0]
        assert reaction.kind == "cost" and reaction.stance in {"ask_numbers", "compare"}
        assert re.search(numbers, results[0].customer_text, re.IGNORECASE), results[0].customer_text


@pytest.mark.parametrize("lang,condition", [("zh", r"前提|只要|但得|写进|白纸黑字"),
                                            ("en", r"as long as|provided|if it's written|in the contract")])
def test_a_relaxed_customer_accepts_the_cost_argument_with_a_condition(lang, condition):
    relaxed = PERSONAS[lang].model_copy(update={"budget_sensitivity": 0.1})
    for seed in range(4):
        _, results, _ = session(relaxed, [COST[lang]], seed=seed)
        reaction = results[0].act.reactions[0]
        assert reaction.kind == "cost" and reaction.stance == "accept_condition"
        assert re.search(condition, results[0].customer_text, re.IGNORECASE), results[0].customer_text


@pytest.mark.parametrize("lang,reply,check", [
    ("zh", "算下来总成本更低：同规模客户节省了30%，半年回本，我用您的数据跑一遍测算给您看。", r"核|对一下|自己的数据"),
    ("en", "Over three years the total cost is 30% lower; I can run the numbers on your own data.",
     r"check|our own figures|go over the numbers"),
])
def test_a_cost_argument_that_shows_its_numbers_gets_them_checked_not_asked_for(lang, reply, check):
    """A budget-sensitive customer asks for figures it has not seen; shown them, it checks them; and a reply good
    enough to settle the objection opens no new front against the vendor in use."""
    assert read_move(reply).cost_shown and not read_move(COST[lang]).cost_shown
    for seed in range(6):
        _, results, _ = session(PERSONAS[lang], [reply], seed=seed)
        reaction = results[0].act.reactions[0]
        assert reaction.kind == "cost" and reaction.stance in {"verify", "compare"}, reaction
        if reaction.stance == "verify":
            assert re.search(check, results[0].customer_text, re.IGNORECASE), results[0].customer_text
        _, settled, _ = session(PERSONAS[lang], [reply], grade=flat_grade(95), seed=seed)
        assert settled[0].act.kind == "drop_objection"
        assert [r.stance for r in settled[0].act.reactions if r.kind == "cost"] == ["verify"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cost_argument_made_twice_is_remembered(lang):
    _, results, _ = session(PERSONAS[lang], [COST[lang], NEUTRAL[lang], COST[lang]])
    assert results[2].act.reactions[0].stance == "repeat"
    assert results[0].customer_text != results[2].customer_text


# -- every new line fits every persona, and a whole session never repeats ---------------------------------------

def new_templates(lang: str) -> list[str]:
    bank = load_reaction_bank()
    return [t for group in (bank.push_back, bank.defend_vendor, bank.cost) for item in group.values()
            for t in getattr(item, lang)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_new_reaction_line_fits_every_shipped_persona(lang):
    from tests.test_customer_listens_consistency import personas

    chosen = [p for p in personas() if p.lang == lang]
    templates = new_templates(lang)
    assert len(templates) >= 30
    problems = [(fill(t, p), why) for t in templates for p in chosen for why in check_line(fill(t, p), p)]
    assert problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_pushy_bragging_session_never_repeats_a_line(lang):
    replies = [PRESSURE[lang][0], PUT_DOWN[lang], COST[lang], PRESSURE[lang][1], NEUTRAL[lang]] * 3
    opening, results, _ = session(PERSONAS[lang].model_copy(update={"temperament": "talkative"}), replies,
                                  grade=flat_grade(60))
    lines = [opening] + [r.customer_text for r in results]
    heard = {r.kind for result in results for r in result.act.reactions}
    assert {"push_back", "defend_vendor", "cost"} <= heard, heard
    assert len(set(lines)) == len(lines)
    assert all(check_line(line, PERSONAS[lang]) == [] for line in lines)
