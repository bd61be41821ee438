"""Issue 16 item 8: a YAML alias bomb under the alias cap is refused by its expanded size, in every loader."""

from __future__ import annotations

import pytest


def bomb(levels: int = 6, width: int = 7, leaf: str = "xxxxxxxx") -> str:
    """width**levels values from levels*width aliases (6 levels of 7: 42 aliases, ~300 bytes, 117k+ values)."""
    text = f"a0: &a0 [{', '.join([leaf] * width)}]\n"
    for i in range(1, levels + 1):
        text += f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]\n"
    return text


EN_BOMB = bomb()
ZH_BOMB = bomb(leaf="太贵了我们再考虑一下")


def test_expanded_size_counts_aliases_as_their_whole_node():
    from knowledge.yaml_lines import expanded_size

    # mapping, 'a', [1, 2, {b: 3}] (6), 'c', *x (6), 'd', [*x, *x] (1 + 12)
    assert expanded_size("a: &x [1, 2, {b: 3}]\nc: *x\nd: [*x, *x]\n") == 29


@pytest.mark.parametrize("text", [EN_BOMB, ZH_BOMB], ids=["en", "zh"])
def test_scenario_loader_refuses_a_small_bomb_under_the_alias_cap(text):
    from scenarios import ScenarioError
    from scenarios.loader import MAX_ALIASES, parse_scenario

    assert text.count("*") < MAX_ALIASES and len(text) < 1000  # the old alias cap lets it through
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="bomb.yaml")
    message = str(caught.value)
    assert message.startswith("bomb.yaml line ") and "expand this file to more than" in message
    assert "write the values out" in message


@pytest.mark.parametrize("text", [EN_BOMB, ZH_BOMB], ids=["en", "zh"])
def test_other_trainer_yaml_loaders_refuse_the_bomb(text, tmp_path):
    from coach.live.keywords import KeywordFileError, parse_keyword_text
    from coach.progression.gates import GateError, parse_gates
    from knowledge.yaml_lines import YamlTooBig, safe_load

    with pytest.raises(YamlTooBig):
        safe_load(text)
    with pytest.raises(GateError, match="expand this file"):
        parse_gates(text, source="gates.yaml")
    with pytest.raises(KeywordFileError, match="expand this file"):
        parse_keyword_text(text, source="cards.yaml")


def test_a_normal_file_with_aliases_still_loads():
    from knowledge.yaml_lines import safe_load

    text = "base: &b {tone: 友好, pace: slow}\nfirst: *b\nsecond: *b\n"
    assert safe_load(text)["second"] == {"tone": "友好", "pace": "slow"}
