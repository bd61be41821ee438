"""Content linter and the leaks it found: unfilled {industry} slots in hints, raw industry ids (fmcg客户, "A saas
client"), a shop scenario whose customer was an education or SaaS sole trader, products and roles of another
persona. The shipped library is linted here (every scenario × seeds 0-1, plus previewed conversations for the
two shop scenarios)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from coach.content_lint import lint_library, renderer
from coach.hints import next_reply_hints
from coach.roleplay.persona_view import PersonaView
from scenarios import load_library
from scenarios.lint import Finding, industry_problems, raw_ids, text_problems

SHOP = {"zh": PersonaView(name="汪琳", title="社区店店主", lang="zh", industry="fmcg", segment="individual",
                          company="一家1-3人的快消个体经营户", products=["休闲零食礼盒"], decision_chain=["会计"]),
        "en": PersonaView(name="Kai Gallagher", title="corner shop owner", lang="en", industry="fmcg",
                          segment="individual", company="A consumer-goods sole trader (two of us)",
                          products=["the new energy drink"], decision_chain=["co-owner"])}


@pytest.mark.parametrize("text, problem", [
    ("有一家同规模的{industry}客户，第一年就省下了两倍于费用的人工成本。", "unfilled slot {industry}"),
    ("A {industry} client your size saved twice the fee in staff costs.", "unfilled slot {industry}"),
    ("我们服务的一家同规模fmcg客户，七个月就收回了投入。", "raw id 'fmcg'"),
    ("A saas client your size cut manual work by about 20%.", "raw id 'saas'"),
    ("这位客户的异议是need，下一步是book_demo。", "raw id 'need'"),
])
def test_slots_and_raw_ids_are_found(text, problem):
    assert problem in text_problems(text)


@pytest.mark.parametrize("text", ["A SaaS client your size cut manual work by 20%.", "同规模的快消客户七个月回本。",
                                  "We need a price that works for our budget."])
def test_labels_and_plain_words_are_not_ids(text):
    assert raw_ids(text) == []


@pytest.mark.parametrize("text, word", [("我这边主要想看看那个教师培训课程包。", "教师培训"),
                                        ("I mostly wanted to look at the teacher training course pack.", "teacher training")])
def test_another_industrys_words_contradict_a_shop_owner(text, word):
    [problem] = industry_problems(text, "fmcg")
    assert word in problem and "education" in problem


@pytest.mark.parametrize("lang, line", [("zh", "这个得问我们销售总监，再走一下采购部的流程。"),
                                        ("en", "I'd have to run it past our sales director first.")])
def test_a_sole_trader_naming_a_sales_director_is_flagged(lang, line):
    """Roles come from the shared persona-consistency check, as the linter applies it to customer lines."""
    from coach.content_lint import check

    class Synthesized:  # the linter hands check() a synthesized persona; the view is what it flattens to
        scenario_id, seed = f"test-{lang}", 0

    import coach.content_lint as content

    content._VIEWS[(Synthesized.scenario_id, 0)] = SHOP[lang]
    problems = check(line, Synthesized(), "customer")
    assert any("sales director" in p or "销售总监" in p for p in problems), problems
    assert check(line, Synthesized(), "hint") == []  # a rep's hint may name roles the customer lacks


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_practice_hints_fill_the_industry_with_its_label(lang):
    phrases = [h["phrase"] for objection in ("price", "budget", "need", "timing", "authority", "implementation")
               for seed in range(6) for h in next_reply_hints(objection, lang, SHOP[lang], seed=seed)]
    assert phrases
    for phrase in phrases:
        assert text_problems(phrase) == [], phrase
    label = "快消" if lang == "zh" else "consumer-goods"
    assert any(label in p for p in phrases)  # the {industry} exemplars were drawn and filled


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_graders_suggested_reply_names_the_industry_not_its_id(lang):
    from coach.grading import GradeContext
    from coach.grading.feedback import fill_slots

    template = "同规模的{industry}客户" if lang == "zh" else "A {industry} client your size"
    for industry, label in (("fmcg", {"zh": "快消", "en": "consumer-goods"}), ("saas", {"zh": "SaaS软件", "en": "SaaS"})):
        text = fill_slots(template, lang, GradeContext(industry=industry))
        assert label[lang] in text and raw_ids(text) == []


@pytest.mark.parametrize("scenario_id", ["en-shop-price", "zh-fmcg-shop-owner"])
def test_shop_scenarios_give_shop_owners(scenario_id):
    from coach.content_lint import persona_for

    scenario = load_library()[scenario_id]
    for seed in range(5):
        persona = persona_for(scenario, seed)
        assert persona.company.industry == "fmcg", (seed, persona.company.description)


def test_the_linter_reports_a_leaking_hint_template(monkeypatch):
    """A trainer typo in a playbook exemplar ({prodcut}) is reported with where it sits."""
    import coach.content_lint as content

    real = content.hint_templates

    def with_typo(lang):
        yield from real(lang)
        yield "hint price.evidence[9]", "同规模的{prodcut}客户" if lang == "zh" else "A {prodcut} client"

    monkeypatch.setattr(content, "hint_templates", with_typo)
    found = content.template_problems("zh") + content.template_problems("en")
    assert len(found) == 2 and all("{prodcut}" in f.problem and f.where == "hint price.evidence[9]" for f in found)


def _report(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings[:20])


def test_shipped_library_has_no_leaks():
    findings = lint_library(seeds=(0, 1), dialogue=False)
    assert findings == [], _report(findings)


@pytest.mark.parametrize("scenario_id", ["zh-fmcg-shop-owner", "en-shop-price"])
def test_shop_conversations_stay_in_character(scenario_id):
    scenario = load_library()[scenario_id]
    findings = lint_library([scenario], seeds=(0, 1, 2), dialogue=True)
    assert findings == [], _report(findings)
    render = renderer(dialogue=True)
    from coach.content_lint import persona_for

    lines = [r for r in render(scenario, persona_for(scenario, 0)) if r.where.startswith("dialogue")]
    assert len(lines) >= 3  # the conversation was really played and checked


@pytest.mark.parametrize("lang, target", [("zh", "zh-fmcg-shop-owner"), ("en", "en-shop-price")])
def test_cli_lint_passes_on_the_library_and_fails_on_a_leak(lang, target, tmp_path):
    from ui.cli.app import _load_commands, app

    _load_commands()
    runner = CliRunner()
    ok = runner.invoke(app, ["scenario", "lint", target, "--seeds", "1", "--no-dialogue"])
    assert ok.exit_code == 0, ok.output
    from scenarios.library import library_text

    leaky = library_text(target).replace("description: ", "description: Note fmcg {industry} ", 1)
    path = tmp_path / f"{target}.yaml"
    path.write_text(leaky, encoding="utf-8")
    bad = runner.invoke(app, ["scenario", "lint", str(path), "--seeds", "1", "--no-dialogue"])
    assert bad.exit_code == 1
    assert "unfilled slot {industry}" in bad.output and "raw id 'fmcg'" in bad.output
