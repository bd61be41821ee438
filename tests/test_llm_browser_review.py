"""A mentor in a real browser, against an app whose customer and judge are an LLM (the fake OpenAI-compatible
server on 127.0.0.1): each customer line shows its source, and the LLM's second opinion appears beside the
offline grade without changing it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import free_port, wait_for_port
from test_browser_practice import sign_in

from coach.llm.fake_server import FakeOpenAIServer

pytestmark = [pytest.mark.browser]
COACH = [sys.executable, "-c", "from ui.cli import main; main()"]
JUDGE = {"score": 57, "steps": {"acknowledge": True, "clarify": True}, "rationale": "接住顾虑并追问了对比对象。"}
LINES = ["嗯，价格这块我还是有顾虑。", "你们有同行业的案例吗？", "那实施要多久？", "好吧，下周二可以聊聊。"] * 4


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory):
    lines = iter(LINES)

    def handler(body):
        return json.dumps(JUDGE, ensure_ascii=False) if body.get("response_format") else next(lines, "嗯。")

    with FakeOpenAIServer(handler) as fake:
        home = tmp_path_factory.mktemp("llm-served-home")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
        env.update(COACH_HOME=str(home), COACH_PORT=str(port), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
                   COACH_TTS="espeak", OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY=fake.api_key,
                   COACH_LLM_MODEL="fake-model")
        subprocess.run([*COACH, "init"], env=env, check=True, cwd=home, stdout=subprocess.DEVNULL)
        script = home / "replies.txt"
        script.write_text("理解您的顾虑，请问您现在对比的是哪家？\n我们有同规模客户的数据。\n", encoding="utf-8")
        played = subprocess.run([*COACH, "practice", "--scenario", "zh-saas-price", "--seed", "4", "--script",
                                 str(script), "--user", "trainee"], env=env, capture_output=True, text=True,
                                cwd=home, timeout=600)
        assert played.returncode == 0, played.stderr
        session_id = int(re.search(r"session (\d+) saved", played.stderr).group(1))
        log = open(home / "server.log", "w")  # noqa: SIM115 - closed at teardown
        proc = subprocess.Popen([*COACH, "serve"], env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc)
            yield f"http://127.0.0.1:{port}", session_id, home
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def test_mentor_sees_line_sources_and_asks_the_llm_for_a_second_opinion(llm_app, browser, shots):
    url, session_id, home = llm_app
    assert "LLM: The LLM server at" in (home / "server.log").read_text()  # `coach serve` said the check
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1600}).new_page()
    sign_in(page, url, "mentor", "mentor123")
    page.get_by_role("tab", name="复盘").click()
    page.locator("#rv-session-id input").fill(str(session_id))
    page.locator("#rv-open").click()
    page.wait_for_function("() => document.querySelector('#rv-transcript').innerText.includes('turn_id')",
                           timeout=60_000)
    transcript = page.locator("#rv-transcript").inner_text()
    assert "来源: LLM (fake-model)" in transcript
    turn_id = re.search(r"turn_id (\d+)", transcript).group(1)
    page.locator("#rv-turn-id input").fill(turn_id)
    page.locator("#rv-second-opinion").click()
    page.wait_for_function("() => document.querySelector('#rv-second-opinion-out').innerText.includes('57')",
                           timeout=60_000)
    opinion = page.locator("#rv-second-opinion-out").inner_text()
    page.screenshot(path=str(shots / "second-opinion.png"), full_page=True)
    assert "离线评分" in opinion and "LLM 第二意见" in opinion and "fake-model" in opinion
    assert page.locator("#rv-transcript").inner_text() == transcript  # the offline grade is not replaced
