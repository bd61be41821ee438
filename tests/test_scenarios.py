"""Scenarios: the schema, line-numbered loader errors, and the shipped library."""

from __future__ import annotations

from collections import Counter

import pytest

from knowledge.taxonomy import INDUSTRIES, OBJECTION_TYPES
from personas import load_pools, synthesize_persona
from scenarios import ScenarioError, library_files, load_library, parse_scenario, validate_files

GOOD = """\
id: zh-test-price
title: 你们比XX品牌贵30%
language: zh
pool: smb
persona:
  industry: [saas]
  budget_sensitivity: [0.6, 1.0]
objections:
  types: [price, competitor]
  order: sequential
  intensity: medium
goal:
  kind: book_demo
  text: 约到演示
rubric: {acknowledge: 0.2, clarify: 0.2, evidence: 0.2, reframe: 0.2, validate: 0.1, advance: 0.1}
max_turns: 10
hints: true
gates: [g1-price-basics]
"""


def errors_for(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.yaml")
    return [str(i) for i in caught.value.issues]


def test_good_scenario_parses_with_defaults():
    scenario = parse_scenario(GOOD, "good.yaml")
    assert scenario.id == "zh-test-price" and scenario.language == "zh"
    assert scenario.persona.budget_sensitivity == (0.6, 1.0)
    assert scenario.version == 1 and scenario.success.min_score == 0.6
    assert scenario.step_weights()["advance"] == 0.1 and sum(scenario.step_weights().values()) == pytest.approx(1)


def test_english_scenario_parses():
    text = GOOD.replace("language: zh", "language: en").replace("你们比XX品牌贵30%", "They are 30% cheaper")
    assert parse_scenario(text).title == "They are 30% cheaper"


def test_content_hash_ignores_layout_and_version_but_not_meaning():
    base = parse_scenario(GOOD)
    relaid = parse_scenario("# a comment\n" + GOOD.replace("max_turns: 10", "max_turns:   10") + "version: 4\n")
    changed = parse_scenario(GOOD.replace("max_turns: 10", "max_turns: 11"))
    assert base.content_hash() == relaid.content_hash() != changed.content_hash()


# (what is wrong, how the text is broken, the line, words the message must contain)
MISTAKES = [
    ("unknown objection type", lambda t: t.replace("[price, competitor]", "[price, prise]"), 9,
     ["objections.types[1]", "unknown objection type 'prise'", "price, budget"]),
    ("unknown pool", lambda t: t.replace("pool: smb", "pool: vip"), 4, ["field 'pool'", "unknown pool 'vip'", "individual"]),
    ("weights not summing", lambda t: t.replace("advance: 0.1}", "advance: 0.3}"), 15, ["field 'rubric'", "sum to 1.200"]),
    ("wrong type", lambda t: t.replace("max_turns: 10", "max_turns: ten"), 16, ["field 'max_turns'", "'ten'"]),
    ("missing field", lambda t: t.replace("title: 你们比XX品牌贵30%\n", ""), 1, ["field 'title'", "add 'title:'"]),
    ("bad language", lambda t: t.replace("language: zh", "language: fr"), 3, ["field 'language'", "'fr'"]),
    ("negative max_turns", lambda t: t.replace("max_turns: 10", "max_turns: -3"), 16, ["field 'max_turns'", "greater than or equal to 1"]),
    ("YAML syntax error", lambda t: t.replace("  order: sequential", "  order: [sequential"), 11,
     ["YAML syntax error", "flow sequence at line 10"]),
    ("unknown key", lambda t: t.replace("max_turns: 10", "max_turn: 10"), 16, ["field 'max_turn'", "did you mean 'max_turns'"]),
    ("unknown nested key", lambda t: t.replace("  intensity: medium", "  intensty: medium"), 11,
     ["objections.intensty", "did you mean 'intensity'"]),
    ("duplicate key", lambda t: t + "pool: ka\n", 19, ["field 'pool'", "duplicate key"]),
    ("bad range", lambda t: t.replace("[0.6, 1.0]", "[0.9, 0.2]"), 7, ["persona.budget_sensitivity", "low <= high"]),
    ("unknown goal", lambda t: t.replace("kind: book_demo", "kind: sell_everything"), 13, ["goal.kind", "book_demo"]),
    ("unknown rubric step", lambda t: t.replace("validate: 0.1", "verify: 0.1"), 15, ["unknown rubric step 'verify'"]),
    ("segment outside pool", lambda t: t.replace("  industry: [saas]", "  segment: [ka]"), 6,
     ["persona.segment", "pool 'smb' only has segment smb"]),
    ("unknown industry", lambda t: t.replace("[saas]", "[crypto]"), 6, ["persona.industry", "unknown industry 'crypto'"]),
    ("not a mapping", lambda t: "- just\n- a list\n", 1, ["must be a YAML mapping"]),
    ("bad id", lambda t: t.replace("id: zh-test-price", "id: Zh Test!"), 1, ["field 'id'"]),
]


@pytest.mark.parametrize(("what", "breaks", "line", "words"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_names_file_line_and_field(what, breaks, line, words):
    errors = errors_for(breaks(GOOD))
    assert errors[0].startswith(f"bad.yaml line {line}:"), errors
    for word in words:
        assert word in errors[0], errors


def test_several_mistakes_are_all_reported():
    text = GOOD.replace("language: zh", "language: fr").replace("max_turns: 10", "max_turns: 0")
    errors = errors_for(text)
    assert len(errors) == 2 and "line 3" in errors[0] and "line 16" in errors[1]


def test_duplicate_ids_across_files(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GOOD, encoding="utf-8")
    second.write_text(GOOD.replace("max_turns: 10", "max_turns: 12"), encoding="utf-8")
    scenarios, issues = validate_files([first, second])
    assert len(scenarios) == 1
    assert str(issues[0]).startswith(f"{second} line 1: field 'id': duplicate id 'zh-test-price' (also in {first})")


def test_library_validates_and_covers_the_brief():
    library = load_library()
    assert len(library) >= 12 and len(library) == len(library_files())
    assert {path.stem for path in library_files()} == set(library)
    assert Counter(s.language for s in library.values())["en"] >= 4
    assert {t for s in library.values() for t in s.objections.types} == set(OBJECTION_TYPES)
    industries = {i for s in library.values() for i in s.persona.industry}
    assert set(INDUSTRIES) - {"insurance"} <= industries  # every sample-corpus industry
    first = library["zh-saas-price"]
    assert first.language == "zh" and first.pool in {"individual", "smb"} and "price" in first.objections.types
    assert "saas" in first.persona.industry and "贵30%" in first.title
    titles = " ".join(s.title + s.description for s in library.values())
    for needed in ("采购会", "招标", "院长", "CTO"):
        assert needed in titles
    assert {s.pool for s in library.values()} <= {p.id for p in load_pools()}


def test_every_shipped_scenario_yields_a_persona_in_its_language():
    from test_personas import synthetic_deals

    deals = synthetic_deals(600, seed=11)
    for scenario in load_library().values():
        persona = synthesize_persona(scenario, deals, seed=1)
        assert persona.lang == scenario.language
        assert [o.type for o in persona.hidden_objections[: len(scenario.objections.types)]] == scenario.objections.types
        low, high = scenario.persona.budget_sensitivity
        assert low <= persona.budget_sensitivity <= high
        if scenario.persona.title:
            assert persona.title == scenario.persona.title
        if scenario.persona.has_competitor:
            assert persona.competitor.name and persona.facts.current_vendor == persona.competitor.name


def test_decision_maker_scenarios_fix_the_title():
    library = load_library()
    assert library["zh-medical-dean"].persona.title == "院长"
    assert library["en-saas-cto"].persona.title == "CTO"
