"""`coach practice` as a user meets it: reproducible runs, and bad input ends in one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

COACH = [sys.executable, "-c", "from ui.cli import main; main()"]
REPLIES_ZH = "理解您的顾虑，请问您现在对比的是哪家？\n我们有同规模客户的数据：上线半年人效提升25%。\n您说得对\n"


def run(args, home, extra_env=None, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
    env.update(COACH_HOME=str(home), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", COACH_TTS="espeak")
    env.update(extra_env or {})
    return subprocess.run([*COACH, *args], env=env, capture_output=True, text=True, input=stdin, timeout=600)


def one_line_error(result):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_unknown_scenario_is_one_line(tmp_path):
    message = one_line_error(run(["practice", "--scenario", "no-such-thing", "--seed", "1"], tmp_path / "h"))
    assert "no-such-thing" in message


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xfe\x00bad", "line 1"),
    (b"ok line\n\xe4\xb8 broken\n", "line 2"),
    (b"   \n# only a comment\n", "no replies"),
])
def test_malformed_script_is_one_line(tmp_path, content, expected):
    script = tmp_path / "replies.txt"
    script.write_bytes(content)
    message = one_line_error(run(["practice", "--scenario", "zh-saas-price", "--script", str(script)],
                                 tmp_path / "h"))
    assert "replies.txt" in message and expected in message


def test_missing_script_and_unwritable_home_are_one_line(tmp_path):
    message = one_line_error(run(["practice", "--scenario", "zh-saas-price", "--script", str(tmp_path / "nope.txt")],
                                 tmp_path / "h"))
    assert "not found" in message
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    message = one_line_error(run(["users", "list"], blocker / "home"))
    assert "COACH_HOME" in message and "not writable" in message


@pytest.mark.slow
def test_same_seed_and_replies_give_the_same_transcript_and_scores(seeded_home, tmp_path):
    script = tmp_path / "replies.txt"
    script.write_text(REPLIES_ZH, encoding="utf-8")
    args = ["practice", "--scenario", "zh-saas-price", "--seed", "7", "--script", str(script), "--json"]
    first, second = run(args, seeded_home), run(args, seeded_home)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    scores = [t["score"] for t in data["transcript"] if t["speaker"] == "trainee"]
    assert len(scores) >= 2 and all(0 <= s <= 100 for s in scores)
    assert data["persona"]["name"] and data["scorecard"]["turns"] == len(scores)


@pytest.mark.slow
def test_english_session_runs_through_the_llm_realizer_on_the_fake_server(seeded_home, fake_openai, tmp_path):
    fake_openai.handler = lambda body: "Hmm, I still think the price is high for a shop like mine."
    script = tmp_path / "replies.txt"
    script.write_text("I understand. What are you comparing us with?\nYou're right.\n", encoding="utf-8")
    env = {"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.base_url,
           "COACH_LLM_MODEL": "fake-model"}
    result = run(["practice", "--scenario", "en-shop-price", "--seed", "2", "--script", str(script), "--json",
                  "--user", "rep"], seeded_home, env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    customer = [t["text"] for t in data["transcript"] if t["speaker"] == "customer"]
    assert "Hmm, I still think the price is high for a shop like mine." in customer
    assert any(r.get("stream") for r in fake_openai.requests)
