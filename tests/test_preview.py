"""Scenario preview: a scripted trainee auto-plays a scenario through the real engine, grader and policy."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coach.preview import (
    PreviewScriptError,
    load_preview_scripts,
    preview_scenario,
    script_replies,
)
from scenarios import ScenarioError
from scenarios.library import library_text


def _pair(scenario_id: str, seed: int = 0):
    text = library_text(scenario_id)
    return preview_scenario(text, "good", seed=seed), preview_scenario(text, "poor", seed=seed)


@pytest.mark.parametrize("scenario_id", ["zh-saas-price", "en-shop-price"])
def test_good_script_beats_poor_script(scenario_id):
    good, poor = _pair(scenario_id)
    assert good.average_score > poor.average_score + 30
    assert len(good.objections_resolved) > len(poor.objections_resolved)
    assert poor.outcome in {"unhandled", "customer_ended", "max_turns"}
    assert good.lang == poor.lang == scenario_id[:2]


def test_zh_saas_price_good_run_books_the_demo():
    good, _ = _pair("zh-saas-price")
    assert good.outcome == "next_step_agreed" and good.ended
    assert [t for t in good.turns if t.speaker == "customer"][-1].act == "agree_next_step"


def test_zh_saas_price_good_run_resolves_objections_and_shows_acts_with_reasons():
    good, _ = _pair("zh-saas-price")
    assert good.objections_raised[0] == "price" and {"price", "competitor"} <= set(good.objections_resolved)
    customer = [t for t in good.turns if t.speaker == "customer"]
    trainee = [t for t in good.turns if t.speaker == "trainee"]
    assert customer[0].act == "raise_objection" and customer[0].objection == "price"
    assert all(t.reason for t in customer)  # every customer act says why the policy chose it
    assert any(t.act == "buying_signal" for t in customer)  # the good script earns a buying signal
    assert all(t.score is not None and t.grade for t in trainee)
    assert [t.idx for t in good.turns] == list(range(len(good.turns)))
    assert any(ch >= "\u4e00" for ch in customer[0].text)  # a Chinese customer


def test_poor_script_is_pressed_and_flagged_in_english():
    _, poor = _pair("en-shop-price")
    trainee = [t for t in poor.turns if t.speaker == "trainee"]
    assert trainee[0].score <= 35  # bare agreement earns little, whatever label the model gives it
    assert "discount_without_tradeoff" in trainee[1].anti_patterns
    assert any(t.act == "press_objection" and t.reason == "handled poorly" for t in poor.turns)
    assert poor.objections_resolved == []


def test_same_seed_same_run_and_seed_changes_persona():
    text = library_text("zh-saas-price")
    first, again = preview_scenario(text, "good", seed=5), preview_scenario(text, "good", seed=5)
    assert first.model_dump() == again.model_dump()
    other = preview_scenario(text, "good", seed=6)
    assert other.persona_public != first.persona_public


@pytest.mark.slow
def test_every_shipped_scenario_previews_and_good_beats_poor():
    from personas import load_pool_deals
    from scenarios import load_library

    worse, deals = [], {}
    for sid, scenario in load_library().items():
        pool = deals.setdefault(scenario.pool, load_pool_deals(scenario.pool))
        good, poor = preview_scenario(scenario, "good", deals=pool), preview_scenario(scenario, "poor", deals=pool)
        assert good.turns and poor.turns
        if not (good.average_score > poor.average_score
                and len(good.objections_resolved) > len(poor.objections_resolved)):
            worse.append(sid)
    assert worse == []


def test_broken_yaml_gives_issues_and_nothing_runs(monkeypatch):
    import coach.preview as preview

    monkeypatch.setattr(preview, "offline_engine", lambda: pytest.fail("the engine must not be built"))
    broken = library_text("zh-saas-price").replace("types: [price, competitor]", "types: [price, cheapness]")
    with pytest.raises(ScenarioError) as info:
        preview_scenario(broken, "good", source="mine.yaml")
    issue = info.value.issues[0]
    assert issue.source == "mine.yaml" and issue.field == "objections.types[1]"
    assert issue.line == broken.splitlines().index("  types: [price, cheapness]") + 1
    assert "cheapness" in issue.message


def test_custom_script_and_bad_script_names():
    run = preview_scenario("zh-saas-price", ["您说得对。"], seed=1)
    assert run.script == "custom" and run.trainee_turns == 1 and run.outcome == "script_ended"
    with pytest.raises(PreviewScriptError):
        script_replies("great", "zh")
    with pytest.raises(PreviewScriptError):
        script_replies(["  ", ""], "en")


def test_shipped_scripts_validate_in_both_languages():
    scripts = load_preview_scripts()
    for name in ("good", "poor"):
        for lang in ("zh", "en"):
            replies = script_replies(name, lang)[1]
            assert 6 <= len(replies) <= 12
    assert all(any(ch >= "\u4e00" for ch in r) for r in scripts.good.zh)
    assert not any(any(ch >= "\u4e00" for ch in r) for r in scripts.good.en)


def test_preview_stores_nothing_unless_persist(db):
    from sqlmodel import select

    from coach.tables import PracticeSession, TurnRow
    from coach.users import ensure_demo_users, get_user
    from knowledge.db import session

    preview_scenario("en-shop-price", "good")
    with session() as s:
        assert s.exec(select(PracticeSession)).all() == []
    ensure_demo_users()
    trainer = get_user("trainer")
    stored = preview_scenario("en-shop-price", "good", persist=True, user_id=trainer.id)
    plain = preview_scenario("en-shop-price", "good")
    assert stored.session_id is not None
    assert [(t.text, t.score, t.act, t.reason) for t in stored.turns] == \
        [(t.text, t.score, t.act, t.reason) for t in plain.turns]
    with session() as s:
        row = s.get(PracticeSession, stored.session_id)
        assert row.mode == "preview" and row.user_id == trainer.id and row.status == "completed"
        assert len(s.exec(select(TurnRow).where(TurnRow.session_id == row.id)).all()) == len(stored.turns)
    with pytest.raises(ValueError, match="user_id"):
        preview_scenario("en-shop-price", "good", persist=True)


# --- CLI -----------------------------------------------------------------------------------------------
@pytest.fixture
def cli():
    from ui.cli.app import _load_commands, app

    _load_commands()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_preview_zh_text_and_json(cli, tmp_path):
    path = _write(tmp_path, "zh-saas-price.yaml", library_text("zh-saas-price"))
    result = cli("scenario", "preview", str(path), "--script", "good")
    assert result.exit_code == 0, result.output
    assert "客户:" in result.output and "raise_objection:price" in result.output
    assert "outcome " in result.output and "resolved" in result.output.lower()
    poor = cli("scenario", "preview", str(path), "--script", "poor", "--json", "--seed", "2")
    data = json.loads(poor.output)
    assert data["script"] == "poor" and data["seed"] == 2 and data["objections_resolved"] == []


def test_cli_preview_en_custom_script_file(cli, tmp_path):
    path = _write(tmp_path, "shop.yaml", library_text("en-shop-price"))
    replies = _write(tmp_path, "replies.txt", "# my replies\nI hear you. What are you comparing us with?\n\nOkay.\n")
    result = cli("scenario", "preview", str(path), "--script", str(replies), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["script"] == "custom"
    assert [t["text"] for t in data["turns"] if t["speaker"] == "trainee"] == [
        "I hear you. What are you comparing us with?", "Okay."]


def test_cli_preview_broken_file_names_line_and_field(cli, tmp_path):
    text = library_text("en-shop-price").replace("pool: individual", "pool: nowhere")
    path = _write(tmp_path, "broken.yaml", text)
    result = cli("scenario", "preview", str(path))
    assert result.exit_code == 1
    assert f"{path} line 4: field 'pool'" in result.output and "nowhere" in result.output
    missing = cli("scenario", "preview", str(tmp_path / "none.yaml"))
    assert missing.exit_code != 0
