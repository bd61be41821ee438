"""Publishing scenarios: new version only on change, exact versions kept, bad files store nothing."""

from __future__ import annotations

import pytest
from test_scenarios import GOOD, MISTAKES

from scenarios import (
    ScenarioError,
    ScenarioNotFound,
    get_scenario,
    list_scenarios,
    load_library,
    publish_scenario,
    scenario_history,
    sync_library,
)
from scenarios.library import library_text


def _snapshot():
    return [(r.scenario_id, r.version, r.content_hash, r.yaml_text) for r in scenario_history("zh-test-price")]


def test_publish_stores_a_version_only_when_content_changes(db):
    first = publish_scenario(GOOD, published_by="lihua")
    assert (first.scenario_id, first.version, first.published_by) == ("zh-test-price", 1, "lihua")
    again = publish_scenario("# 只改了注释\n" + GOOD, published_by="someone")
    assert again.id == first.id and len(scenario_history("zh-test-price")) == 1
    edited = publish_scenario(GOOD.replace("max_turns: 10", "max_turns: 12"), published_by="lihua")
    assert edited.version == 2
    assert get_scenario("zh-test-price").max_turns == 12
    assert get_scenario("zh-test-price").version == 2


def test_sessions_keep_the_version_they_were_played_on(db):
    publish_scenario(GOOD)
    publish_scenario(GOOD.replace("intensity: medium", "intensity: high"))
    old = get_scenario("zh-test-price", version=1)
    assert old.version == 1 and old.objections.intensity == "medium"
    assert get_scenario("zh-test-price", version=2).objections.intensity == "high"
    with pytest.raises(ScenarioNotFound, match="version 3"):
        get_scenario("zh-test-price", version=3)


def test_no_mistake_changes_what_is_stored(db):
    publish_scenario(GOOD, published_by="lihua")
    before = _snapshot()
    for what, breaks, _line, _words in MISTAKES:
        with pytest.raises(ScenarioError):
            publish_scenario(breaks(GOOD), published_by="intruder", source=f"{what}.yaml")
        assert _snapshot() == before, what
    assert get_scenario("zh-test-price").model_dump() == get_scenario("zh-test-price", 1).model_dump()


def test_shipped_scenarios_are_found_without_a_database():
    scenario = get_scenario("zh-saas-price")  # no migration ran: falls back to the library
    assert scenario.language == "zh" and scenario.version == 1


def test_editing_a_shipped_scenario_publishes_version_two(db):
    text = library_text("en-saas-cto")
    assert publish_scenario(text).version == 1  # registering the shipped text keeps its number
    edited = publish_scenario(text.replace("max_turns: 12", "max_turns: 9"))
    assert edited.version == 2 and get_scenario("en-saas-cto").max_turns == 9
    assert get_scenario("en-saas-cto", 1).max_turns == 12


def test_sync_library_is_idempotent_and_list_shows_newest(db):
    first = sync_library()
    assert len(first) == len(load_library())
    assert sync_library() == []  # nothing changed: nothing stored, nothing reported
    assert {s.id for s in list_scenarios()} == set(load_library())
    publish_scenario(GOOD)
    ids = [s.id for s in list_scenarios()]
    assert "zh-test-price" in ids and "zh-saas-price" in ids and ids == sorted(ids)


def test_unknown_scenario_lists_known_ones(db):
    with pytest.raises(ScenarioNotFound, match="no scenario 'nope'.*zh-saas-price"):
        get_scenario("nope")
