"""CLI: coach scenario validate / list / publish and coach persona, in Chinese and English."""

from __future__ import annotations

import json

import pytest
from test_personas import synthetic_deals
from test_scenarios import GOOD
from typer.testing import CliRunner

from ui.cli.app import _load_commands, app

runner = CliRunner()


@pytest.fixture(autouse=True)
def commands():
    _load_commands()


@pytest.fixture
def deals(monkeypatch):
    import personas.deals as source

    monkeypatch.setattr(source, "_sample_deals", lambda: synthetic_deals(400, seed=5))


def run(*args):
    return runner.invoke(app, list(args))


def test_validate_ok_and_errors(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(GOOD.replace("pool: smb", "pool: vip").replace("max_turns: 10", "max_turns: -1"), encoding="utf-8")
    ok = run("scenario", "validate", str(good))
    assert ok.exit_code == 0 and ok.output.startswith("OK zh-test-price")
    failed = run("scenario", "validate", str(bad))
    assert failed.exit_code == 1
    assert f"{bad} line 4: field 'pool': unknown pool 'vip'" in failed.output
    assert f"{bad} line 16: field 'max_turns'" in failed.output


def test_validate_english_file_and_missing_file(tmp_path):
    english = tmp_path / "en.yaml"
    english.write_text(GOOD.replace("language: zh", "language: en").replace("id: zh-test-price", "id: en-test"), encoding="utf-8")
    assert run("scenario", "validate", str(english)).output.startswith("OK en-test (en")
    missing = run("scenario", "validate", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 1 and "cannot read the file" in missing.output


def test_list_json_has_the_library():
    result = run("scenario", "list", "--json")
    assert result.exit_code == 0
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert rows["zh-saas-price"]["language"] == "zh" and rows["en-saas-cto"]["language"] == "en"
    assert rows["zh-saas-price"]["objections"] == ["price", "competitor"]


def test_publish_then_unchanged(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert run("scenario", "publish", str(path), "--by", "lihua").output.strip() == "zh-test-price v1 (published)"
    assert run("scenario", "publish", str(path)).output.strip() == "zh-test-price v1 (unchanged)"
    path.write_text(GOOD.replace("max_turns: 10", "max_turns: 8"), encoding="utf-8")
    out = json.loads(run("scenario", "publish", str(path), "--json").output)
    assert out["version"] == 2
    listed = {r["id"]: r for r in json.loads(run("scenario", "list", "--json").output)}
    assert listed["zh-test-price"]["version"] == 2


def test_publish_bad_file_exits_1(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("[price, competitor]", "[price, haggle]"), encoding="utf-8")
    result = run("scenario", "publish", str(path))
    assert result.exit_code == 1 and "unknown objection type 'haggle'" in result.output


def test_persona_json_zh_is_reproducible(deals):
    first = run("persona", "--scenario", "zh-saas-price", "--seed", "7", "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert set(data["public"]) == {"name", "title", "company"}
    assert data["lang"] == "zh" and data["hidden_objections"][0]["type"] == "price"
    assert 0.6 <= data["budget_sensitivity"] <= 1.0
    assert run("persona", "--scenario", "zh-saas-price", "--seed", "7", "--json").output == first.output
    assert run("persona", "--scenario", "zh-saas-price", "--seed", "8", "--json").output != first.output


def test_persona_text_en(deals):
    result = run("persona", "--scenario", "en-saas-cto", "--seed", "2")
    assert result.exit_code == 0, result.output
    assert "Title: CTO" in result.output and "Hidden objections: implementation" in result.output


def test_persona_text_zh(deals):
    result = run("persona", "--scenario", "zh-medical-dean", "--seed", "2")
    assert result.exit_code == 0, result.output
    assert "职位: 院长" in result.output and "隐藏异议: authority" in result.output


def test_persona_unknown_scenario_is_one_line():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", "from ui.cli import main; main()", "persona", "--scenario", "nope"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: no scenario 'nope'") and "Traceback" not in proc.stderr
