"""A trainee in a real browser, against an app whose customer and judge are an LLM (the fake OpenAI-compatible
server on 127.0.0.1): an unsure grade shows at once, the LLM's second opinion comes under it on its own, and a
slow judge never holds up the next reply. zh and en."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from conftest import free_port, wait_for_port
from test_browser_practice import start_scenario
from test_grade_unsure import UNSURE

from coach.llm.fake_server import FakeOpenAIServer

pytestmark = [pytest.mark.browser]
COACH = [sys.executable, "-c", "from ui.cli import main; main()"]
JUDGE = {"score": 62, "steps": {"clarify": True}, "rationale": "问清了对比对象，但没给出价值。"}


LATER = "The vendor we use now is cheaper. Why so much more?"
NEXT = ("I understand. Our quote includes three years of support and on-site training; similar shops save about "
        "twice its cost in staff time. Shall I send you the numbers?")


class Script:
    """What the fake LLM says: the customer's line (set per test), and the judge's answer, each call after the
    next of ``delays`` seconds (none once they run out); ``judged`` holds (delay, when answered) per judge call."""

    def __init__(self) -> None:
        self.line, self.delays, self.judged = "", [], []
        self.lock = threading.Lock()

    def __call__(self, body):
        if not body.get("response_format"):
            return self.line
        with self.lock:
            delay = self.delays.pop(0) if self.delays else 0.0
        time.sleep(delay)
        with self.lock:
            self.judged.append((delay, time.monotonic()))
        return json.dumps(JUDGE, ensure_ascii=False)


@pytest.fixture(scope="module")
def judged_app(tmp_path_factory):
    script = Script()
    with FakeOpenAIServer(script) as fake:
        home = tmp_path_factory.mktemp("judged-home")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
        env.update(COACH_HOME=str(home), COACH_PORT=str(port), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
                   COACH_TTS="espeak", OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY=fake.api_key,
                   COACH_LLM_MODEL="fake-model")
        subprocess.run([*COACH, "init", "--demo"], env=env, check=True, cwd=home, stdout=subprocess.DEVNULL)
        log = open(home / "server.log", "w")  # noqa: SIM115 - closed at teardown
        proc = subprocess.Popen([*COACH, "serve"], env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc)
            yield f"http://127.0.0.1:{port}", script
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def send(page, text: str) -> None:
    """Type and send a reply, then wait until the customer's answer to it is in the chat."""
    page.wait_for_function("() => document.querySelector('#reply-box textarea').value === ''", timeout=60_000)
    page.locator("#reply-box textarea").fill(text)
    page.locator("#send-btn").click()
    page.wait_for_function(
        """(reply) => { const said = Array.from(document.querySelectorAll('#practice-chat .message'))
                            .map((m) => m.innerText.trim());
                        const at = said.lastIndexOf(reply);
                        return at >= 0 && said.slice(at + 1).some((t) => t && t !== reply && t !== '…'); }""",
        arg=text, timeout=60_000)


def grade_text(page) -> str:
    """The grade panel's words, without the run-time counter Gradio shows on it while an event is finishing."""
    return re.sub(r"^\s*\d+(\.\d+)?s\s*", "", page.locator("#grade-panel").inner_text())


def test_an_unsure_grade_shows_first_and_the_llm_opinion_comes_under_it_zh(judged_app, browser, shots):
    url, script = judged_app
    script.line, script.delays, before = UNSURE[0][0], [3.0], len(script.judged)
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1400}).new_page()
    start_scenario(page, url, "trainee", "trainee123", "XX品牌贵30%")
    send(page, UNSURE[0][1])
    page.wait_for_function("() => document.querySelector('#grade-panel').innerText.includes('LLM 第二意见：请求中')",
                           timeout=60_000)
    offline = grade_text(page).split("LLM 第二意见")[0]
    assert "本轮得分" in offline and "评分把握不大" in offline  # the offline grade, shown before the judge answers
    page.screenshot(path=str(shots / "asking-zh.png"), full_page=True)
    page.wait_for_function("() => document.querySelector('#grade-panel').innerText.includes('LLM 第二意见：62 分')",
                           timeout=60_000)
    page.screenshot(path=str(shots / "second-opinion-zh.png"), full_page=True)
    shown = grade_text(page)
    assert shown.startswith(offline) and "问清了对比对象" in shown and "请求中" not in shown
    assert len(script.judged) - before == 1
    assert page.locator(".toast-body.error").count() == 0
    page.context.close()


def test_a_slow_judge_never_holds_up_the_next_reply_en(judged_app, browser, shots):
    url, script = judged_app
    script.line, script.delays, before = UNSURE[1][0], [12.0], len(script.judged)  # only the first call is slow
    page = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1400}).new_page()
    start_scenario(page, url, "rep", "rep123", "too expensive for a small shop")
    send(page, UNSURE[1][1])
    page.wait_for_function(
        "() => document.querySelector('#grade-panel').innerText.includes('LLM second opinion: asking')",
        timeout=60_000)
    asked = time.monotonic()
    script.line = LATER
    send(page, NEXT)
    answered = time.monotonic()
    assert answered - asked < 12.0, "the next reply waited for the judge"
    page.wait_for_function("() => !document.querySelector('#grade-panel').innerText.includes('asking')",
                           timeout=60_000)  # the next grade (and its own quick opinion, if it is unsure too)
    second = grade_text(page)
    page.screenshot(path=str(shots / "next-reply-en.png"), full_page=True)
    deadline = time.monotonic() + 60
    while not [t for delay, t in script.judged[before:] if delay == 12.0]:
        assert time.monotonic() < deadline, "the first reply's judge was never asked"
        time.sleep(0.5)
    slow = next(t for delay, t in script.judged[before:] if delay == 12.0)
    assert slow > answered  # the customer's next answer came while the first judge was still thinking
    time.sleep(1.5)  # the late opinion has had time to land, had it been sent to the page
    assert grade_text(page) == second  # it never covers the newer grade
    page.context.close()
