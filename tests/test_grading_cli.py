"""`coach detect`, `coach grade` and `coach eval grading` through the real Typer app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ui.cli.app import _load_commands, app

_load_commands()
runner = CliRunner()


def test_grade_reads_jsonl_and_reports_bad_lines(tmp_path):
    src = tmp_path / "replies.jsonl"
    src.write_text("\n".join([
        json.dumps({"customer": "太贵了", "reply": "您说得对。", "objection": "price"}, ensure_ascii=False),
        "{not json",
        json.dumps({"customer": "Too expensive", "reply": "I understand. What are you comparing us with?",
                    "objection": "price", "lang": "en"}),
    ]), encoding="utf-8")
    result = runner.invoke(app, ["grade", str(src), "--json"])
    assert result.exit_code == 1
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert [x["objection"] for x in lines] == ["price", "price"]
    assert lines[0]["score"] <= 30  # bare agreement earns little
    assert lines[1]["feedback"] and lines[1]["suggestion"]  # (the model misses clarify here: see the closing note)
    assert {"objection", "score", "steps", "anti_patterns", "feedback", "suggestion", "relevance",
            "evidence"} <= set(lines[0])
    assert "line 2" in result.stderr


def test_grade_missing_file_is_one_line():
    from ui.cli.errors import UserError

    result = runner.invoke(app, ["grade", "nope.jsonl"])
    assert result.exit_code != 0 and isinstance(result.exception, UserError)
    assert "nope.jsonl" in str(result.exception)


@pytest.mark.slow
def test_detect_reads_stdin_lines_and_jsonl():
    stdin = "太贵了，能便宜点吗？\n" + json.dumps({"text": "I'd have to run it by my boss."}) + "\n"
    result = runner.invoke(app, ["detect", "-", "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["objection"] for r in rows] == ["price", "authority"]
    assert {"text", "objection", "confidence", "p_objection", "signals", "sentiment"} <= set(rows[0])


def test_eval_group_is_registered():
    result = runner.invoke(app, ["eval", "--help"])
    assert result.exit_code == 0 and "grading" in result.stdout
