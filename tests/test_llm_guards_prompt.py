"""What a small model does wrong, caught by the guards (zh and en); and a prompt that hides what the act does
not reveal, speaks Chinese throughout in a Chinese session, and opens without a placeholder user message."""

from __future__ import annotations

import pytest
from test_roleplay_policy import PERSONA_EN, PERSONA_ZH

from coach.roleplay.guards import check, check_line
from coach.roleplay.llm_realizer import build_messages
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.realizer import RealizeRequest
from coach.roleplay.state import Act, CustomerState

PERSONAS = {"zh": PERSONA_ZH, "en": PERSONA_EN}


@pytest.mark.parametrize("line", ["我可以给你打个九折，今天签就行。", "给你们优惠一点，欢迎你们试用。",
                                  "I can give you 10% off if you sign this week.", "We can offer a free pilot."])
def test_selling_in_any_form_is_role_inversion(line):
    persona = PERSONA_ZH if any("\u4e00" <= c <= "\u9fff" for c in line) else PERSONA_EN
    assert check_line(line, persona, [], []) is not None
    assert check(line, persona, [], []).code == "role_inversion"


@pytest.mark.parametrize("line", ["你能给我打个九折吗？", "Can you give me 10% off?", "我们的预算不多。"])
def test_a_customer_asking_for_a_discount_is_not_selling(line):
    persona = PERSONA_ZH if any("\u4e00" <= c <= "\u9fff" for c in line) else PERSONA_EN
    assert check(line, persona, [], []) is None


@pytest.mark.parametrize("lang,line", [("zh", "我只是一个AI助手，无法做采购决定。"), ("zh", "你就是个AI吧？"),
                                       ("en", "You are just an AI assistant, right?"),
                                       ("en", "As a language model I cannot buy anything.")])
def test_breaking_character_is_caught(lang, line):
    assert check(line, PERSONAS[lang], [], []).code == "leak"


@pytest.mark.parametrize("lang,line", [("zh", "我们预算最多30万块，再多就批不下来。"), ("zh", "预算就是300000元。"),
                                       ("en", "Our budget is $80,000 at most."), ("en", "We can spend 90k dollars.")])
def test_a_budget_written_any_way_is_compared_by_value(lang, line):
    persona = PersonaView(name="x", lang=lang, budget="50万" if lang == "zh" else "$40k",
                          facts={"budget": "50万" if lang == "zh" else "$40k"})
    problem = check(line, persona, [], [])
    assert problem is not None and problem.code == "budget"


@pytest.mark.parametrize("lang,line", [("zh", "我们预算大概50万元左右。"), ("en", "Our budget is about $40,000.")])
def test_the_personas_own_budget_is_fine(lang, line):
    persona = PersonaView(name="x", lang=lang, budget="50万" if lang == "zh" else "$40k")
    assert check(line, persona, [], []) is None


@pytest.mark.parametrize("lang,rep,line", [
    ("zh", "我们的系统上线只需要三天，而且有专人驻场培训您的团队。", "上线只需要三天，而且有专人驻场培训您的团队。"),
    ("en", "Our platform goes live in three days and a specialist trains your whole team on site.",
     "It goes live in three days and a specialist trains your whole team on site."),
])
def test_parroting_the_reps_pitch_is_caught(lang, rep, line):
    assert check(line, PERSONAS[lang], [], [], rep_line=rep).code == "parrot"
    assert check("嗯，三天？真的假的？" if lang == "zh" else "Three days? Really?", PERSONAS[lang], [], [],
                 rep_line=rep) is None


@pytest.mark.parametrize("lang,line", [("zh", "价格还是太贵了，我再考虑考虑。"), ("en", "The price is still too high for us.")])
def test_repeating_an_earlier_line_is_caught(lang, line):
    assert check(line, PERSONAS[lang], [], [], earlier=[line.replace("。", "！").replace(".", "!")]).code == "repeat"


@pytest.mark.parametrize("lang,line", [("zh", "好的<|im_end|>"), ("zh", "（销售接通了电话）您好"),
                                       ("en", "Customer: fine, send it over"), ("en", "<end_of_turn>ok")])
def test_template_tokens_and_stage_directions_are_caught(lang, line):
    assert check(line, PERSONAS[lang], [], []).code == "template"


@pytest.mark.parametrize("lang,line", [("zh", "Honestly the price is too high for our team right now."),
                                       ("en", "这个价格对我们来说太贵了，我需要再想想。")])
def test_the_wrong_language_is_caught(lang, line):
    assert check(line, PERSONAS[lang], [], []).code == "language"


def test_product_names_in_a_chinese_line_are_not_the_wrong_language():
    assert check("我们现在用 Salesforce CRM，挺顺手的。", PERSONA_ZH, [], []) is None


def _system(persona, act, revealed=(), history=(("trainee", "您好"),)):
    request = RealizeRequest(act=act, persona=persona, state=CustomerState(revealed=list(revealed)), seed=1,
                             history=list(history), trainee_reply="您好")
    return build_messages(request, [])


RICH_ZH = PersonaView(name="周女士", company="[公司A]", lang="zh", industry="saas", competitor="云帆CRM",
                      budget="20万", temperament="direct", style="casual",
                      facts={"budget": "20万", "current_vendor": "云帆CRM", "timeline": "下个季度"})
RICH_EN = PersonaView(name="Dana Reed", company="Northwind", lang="en", industry="saas", competitor="SalesPilot",
                      budget="$40k", temperament="cautious", style="formal",
                      facts={"budget": "$40k", "current_vendor": "SalesPilot"})


@pytest.mark.parametrize("persona", [RICH_ZH, RICH_EN])
def test_hidden_facts_reach_the_prompt_only_when_the_act_reveals_them(persona):
    stall = _system(persona, Act(kind="stall"))[0].content
    assert persona.budget not in stall and persona.competitor not in stall
    reveal = _system(persona, Act(kind="reveal_fact", fact="budget"))[0].content
    assert persona.budget in reveal and persona.competitor not in reveal
    later = _system(persona, Act(kind="stall"), revealed=["budget"])[0].content
    assert persona.budget in later  # once the trainee knows it, the customer must stay consistent with it
    compare = _system(persona, Act(kind="raise_objection", objection="competitor"))[0].content
    assert persona.competitor in compare and persona.budget not in compare


def test_the_chinese_prompt_carries_no_english_trait_values():
    system = _system(RICH_ZH, Act(kind="raise_objection", objection="price"))[0].content
    for raw in ("direct", "casual", "price", "saas", "budget", "current_vendor"):
        assert raw not in system, raw
    assert "直接" in system and "随意" in system and "价格" in system and "SaaS软件" in system
    fact = _system(RICH_ZH, Act(kind="reveal_fact", fact="timeline"))[0].content
    assert "下个季度" in fact and "timeline" not in fact


@pytest.mark.parametrize("persona", [RICH_ZH, RICH_EN])
def test_the_opening_has_no_placeholder_user_message(persona):
    messages = _system(persona, Act(kind="raise_objection", objection="price"), history=())
    assert len(messages) == 1 and messages[0].type == "system"
    text = messages[0].content
    assert "销售接通了电话" not in text and "the rep is on the line" not in text
    assert ("先开口" in text) if persona.lang == "zh" else ("you speak first" in text)
