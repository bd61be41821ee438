"""Mentor review: access control, filters, session detail, overrides, team view, exports and the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from test_progression import FAKE_STRONG_EN, FAKE_STRONG_ZH, FAKE_WEAK_ZH, play, prog  # noqa: F401


@pytest.fixture
def sessions(prog):  # noqa: F811
    """Two trainees of mentor (team east), one trainee of another mentor in team west."""
    from coach.progression import set_team_settings
    from coach.users import add_user

    set_team_settings("east", guided_sessions=0)
    set_team_settings("west", guided_sessions=0)
    add_user("mentor-west", "pw1234", "mentor", team="west")
    add_user("trainer-mentor", "pw1234", "trainer,mentor", team="east")
    add_user("west-rep", "pw1234", "trainee", team="west", mentor="mentor-west", lang="en")
    return {
        "mine_zh": play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH, FAKE_WEAK_ZH], days_ago=2),
        "mine_weak": play(prog, "trainee", "drill-need", [FAKE_WEAK_ZH, FAKE_WEAK_ZH], days_ago=1),
        "other": play(prog, "trainee2", "zh-fmcg-shop-owner", [FAKE_STRONG_ZH]),
        "west": play(prog, "west-rep", "drill-price-en", [FAKE_STRONG_EN]),
    }


def test_trainee_sees_only_their_own_sessions(sessions):
    from coach.review import list_sessions, session_detail

    own = {r["session_id"] for r in list_sessions("trainee")}
    assert own == {sessions["mine_zh"], sessions["mine_weak"]}
    with pytest.raises(PermissionError, match="may not see session"):
        session_detail("trainee", sessions["other"])
    with pytest.raises(PermissionError):
        list_sessions("trainee", trainee="trainee2")
    assert session_detail("trainee", sessions["mine_zh"])["trainee"] == "trainee"


def test_mentor_sees_only_their_trainees_and_team(sessions):
    from coach.review import list_sessions, session_detail

    east = {r["session_id"] for r in list_sessions("mentor")}
    assert east == {sessions["mine_zh"], sessions["mine_weak"], sessions["other"]}
    assert {r["session_id"] for r in list_sessions("mentor-west")} == {sessions["west"]}
    with pytest.raises(PermissionError):
        session_detail("mentor", sessions["west"])
    with pytest.raises(PermissionError):
        session_detail("mentor-west", sessions["mine_zh"])
    assert len(list_sessions("admin")) == 4


def test_trainer_cannot_override_unless_also_a_mentor(sessions):
    from coach.review import override_session, override_turn, session_detail

    turn = next(t for t in session_detail("mentor", sessions["mine_zh"])["turns"] if "score" in t)
    with pytest.raises(PermissionError, match="trainer, not a mentor"):
        override_turn("trainer", turn["turn_id"], 70, "looks fine")
    with pytest.raises(PermissionError, match="trainee, not a mentor"):
        override_session("trainee", sessions["mine_zh"], 100, "I deserve it")
    result = override_turn("trainer-mentor", turn["turn_id"], 70, "证据不够具体")
    assert result["score"] == 70
    with pytest.raises(PermissionError):  # a mentor still cannot touch another team's sessions
        override_session("mentor-west", sessions["mine_zh"], 10, "no")


def test_filters_by_trainee_scenario_score_date_and_objection(sessions):
    from datetime import UTC, datetime, timedelta

    from coach.review import list_sessions

    assert {r["trainee"] for r in list_sessions("mentor", trainee="trainee2")} == {"trainee2"}
    assert [r["session_id"] for r in list_sessions("mentor", scenario="drill-need")] == [sessions["mine_weak"]]
    low = list_sessions("mentor", max_score=40)
    assert [r["session_id"] for r in low] == [sessions["mine_weak"]]
    assert all(r["score"] >= 50 for r in list_sessions("mentor", min_score=50))
    today = datetime.now(UTC).date().isoformat()
    assert sessions["mine_zh"] not in {r["session_id"] for r in list_sessions("mentor", since=today)}
    two_days = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    assert [r["session_id"] for r in list_sessions("mentor", since=two_days, until=two_days)] == [sessions["mine_zh"]]
    assert [r["session_id"] for r in list_sessions("mentor", objection="price")] == [sessions["mine_zh"]]


def test_session_detail_override_audit_and_session_override(sessions):
    from coach.review import audit_trail, override_session, override_turn, session_detail

    detail = session_detail("mentor", sessions["mine_zh"])
    graded = [t for t in detail["turns"] if "score" in t]
    assert graded[0]["grade"]["evidence"]["matched"] and graded[0]["objection"] == "price"
    assert {t["speaker"] for t in detail["turns"]} == {"customer", "trainee"}
    before = detail["score"]
    override_turn("mentor", graded[1]["turn_id"], 88, "第二轮其实回应了顾虑")
    after = session_detail("mentor", sessions["mine_zh"])
    assert after["score"] > before and after["turns"][graded[1]["idx"]]["original_score"] == graded[1]["score"]
    assert after["reviews"][-1]["comment"] == "第二轮其实回应了顾虑"
    with pytest.raises(ValueError, match="out of range"):
        override_session("mentor", sessions["mine_zh"], 120, "too high")
    override_session("mentor", sessions["mine_zh"], 55, "overall the call drifted")
    assert session_detail("mentor", sessions["mine_zh"])["score"] == 55
    trail = audit_trail("mentor", sessions["mine_zh"])
    assert [a["action"] for a in trail] == ["override_turn", "override_session"]
    assert json.loads(trail[1]["before"])["score"] == after["score"] and json.loads(trail[1]["after"])["score"] == 55


def test_team_overview_trend_gates_and_weakest_objections(sessions):
    from coach.review import team_overview

    view = team_overview("mentor")
    names = [t["trainee"] for t in view["trainees"]]
    assert "trainee" in names and "west-rep" not in names
    mine = next(t for t in view["trainees"] if t["trainee"] == "trainee")
    assert len(mine["trend"]) == 2 and mine["weakest"][0]["mean"] <= mine["weakest"][-1]["mean"]
    assert mine["weakest"][0]["objection"] == "need"  # only weak replies on need
    means = [w["mean"] for w in view["weakest_objections"]]
    assert means == sorted(means)


def test_exports_markdown_pdf_csv(sessions, tmp_path):
    from coach.review import ExportError, session_markdown, session_pdf, team_csv

    md = session_markdown("mentor", sessions["mine_zh"])
    assert "# Session" in md and FAKE_STRONG_ZH in md and "得分 Score 88" in md
    pdf = session_pdf("mentor", sessions["mine_zh"], tmp_path / "s.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 2000
    with pytest.raises(ExportError, match="Markdown"):
        session_pdf("mentor", sessions["mine_zh"], tmp_path / "x.pdf", font=str(tmp_path / "missing.ttc"))
    with pytest.raises(PermissionError):
        session_markdown("trainee2", sessions["mine_zh"])
    rows = list(csv.DictReader(io.StringIO(team_csv("mentor"))))
    assert {r["trainee"] for r in rows} == {"trainee", "trainee2"} and "objections" in rows[0]


def test_cli_progress_and_review_commands(sessions, tmp_path):
    from typer.testing import CliRunner

    from ui.cli.app import _load_commands, app

    _load_commands()
    runner = CliRunner()
    result = runner.invoke(app, ["progress", "--user", "trainee", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"gates", "unlocked_pools", "drills_due", "guided_sessions_left"} <= set(report)
    assert report["unlocked_pools"] == ["individual"] and report["gates"][0]["id"] == "g1-objections-3"
    assert report["guided_sessions_left"] == 0

    listed = json.loads(runner.invoke(app, ["review", "list", "--as", "mentor", "--json"]).output)
    assert len(listed) == 3
    shown = runner.invoke(app, ["review", "show", str(sessions["mine_zh"]), "--as", "mentor"])
    assert shown.exit_code == 0 and FAKE_STRONG_ZH in shown.output
    no_comment = runner.invoke(app, ["review", "override", "--as", "mentor", "--session", str(sessions["mine_zh"]),
                                     "--score", "80", "--comment", " "])
    assert no_comment.exit_code != 0 and "comment is required" in str(no_comment.exception)
    out = tmp_path / "team.csv"
    assert runner.invoke(app, ["review", "export", "--as", "mentor", "--team", "--out", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("session_id,trainee")
    bad = runner.invoke(app, ["progress", "--user", "nobody"])
    assert bad.exit_code != 0 and "no such user" in str(bad.exception)
    settings = runner.invoke(app, ["team-settings", "east", "--guided", "4"])
    assert json.loads(settings.output)["guided_sessions"] == 4
