"""`coach hints` and `coach debrief` through Typer's CliRunner, with fake collaborators patched in."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ui.cli.app import _load_commands, app

runner = CliRunner()


@pytest.fixture
def fake_kit(monkeypatch, tmp_path):
    from coach.live import LiveKit, factory
    from coach.live.fakes import CueDetector, CueJudge, tiny_index
    from knowledge.playbooks import load_playbooks

    playbooks = load_playbooks()
    kit = LiveKit(detector=CueDetector(), playbooks=playbooks, index=tiny_index(tmp_path / "idx"),
                  judge=CueJudge(playbooks))
    monkeypatch.setattr(factory, "default_kit", lambda with_index=True: kit)
    _load_commands()
    return kit


def test_hints_json_one_event_per_line_and_errors_continue(fake_kit):
    stdin = "\n".join([
        json.dumps({"speaker": "customer", "text": "你们的价格太贵了", "ts": 1}, ensure_ascii=False),
        "{broken",
        json.dumps({"speaker": "customer", "text": "We have a procurement meeting next week", "ts": 4}),
    ]) + "\n"
    result = runner.invoke(app, ["hints", "-", "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines()]
    assert events[0]["type"] == "objection_card" and events[0]["objection"] == "price"
    error = next(e for e in events if e["type"] == "error")
    assert error["line"] == 2 and "not valid JSON" in error["message"]
    assert any(e["type"] == "signal" and e["signal"] == "procurement_meeting" for e in events)
    assert all(isinstance(e["latency_ms"], float) for e in events)


def test_hints_human_output_from_file(fake_kit, tmp_path):
    path = tmp_path / "call.jsonl"
    path.write_text(json.dumps({"speaker": "customer", "text": "太贵了，下周招标"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["hints", str(path)])
    assert result.exit_code == 0 and "价格异议" in result.output and "招标" in result.output
    missing = runner.invoke(app, ["hints", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code != 0


def test_debrief_transcript_json_and_save(fake_kit, db, tmp_path):
    from coach.live import list_debriefs
    from coach.users import add_user

    user = add_user("rep-cli", "pw-123456")
    path = tmp_path / "call.txt"
    path.write_text("客户: 你们的价格太贵了\n销售: 理解，方便说说您是跟哪家在比吗？这确实是笔投入。\n"
                    "客户: 我们下周要开采购会，王总拍板\n", encoding="utf-8")
    result = runner.invoke(app, ["debrief", str(path), "--json", "--save-for", "rep-cli"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(o["objection"], o["handled"]) for o in data["objections"]] == [("price", True)]
    assert [s["signal"] for s in data["signals"]] == ["procurement_meeting", "decision_maker_named"]
    assert data["success_cases"][0]["deal_id"] == "won-zh-1"
    assert list_debriefs(user.id)[0]["id"] == data["saved_id"]


def test_debrief_messages_csv_english(fake_kit, tmp_path):
    path = tmp_path / "messages.csv"
    path.write_text("conversation_id,timestamp,message,author\n"
                    "c1,2025-03-21 16:26:04,Hi there,Agent\n"
                    "c1,2025-03-21 16:26:30,\"Honestly, it's too expensive.\",Customer\n"
                    "c1,2025-03-21 16:27:00,OK.,Agent\n", encoding="utf-8")
    result = runner.invoke(app, ["debrief", str(path)])
    assert result.exit_code == 0, result.output
    assert "✘ Price objection" in result.output


def test_debrief_bad_file_is_one_clear_line(fake_kit, tmp_path):
    from ui.cli import main

    path = tmp_path / "bad.txt"
    path.write_text("客户: 你好\n这一行没有说话人\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["debrief", str(path)])
    assert exit_info.value.code == 1
