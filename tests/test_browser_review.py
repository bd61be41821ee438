"""The mentor in a real browser: find a trainee's session, open its graded transcript, override a turn
with a comment, and see the override recorded."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from test_browser_practice import sign_in

from ui.pages.review import SESSION_COLUMNS

pytestmark = [pytest.mark.browser]


def play_session_as(home, user: str) -> int:
    script = home / f"{user}-replies.txt"
    script.write_text("理解您的顾虑，请问您现在对比的是哪家？\n您说得对\n我们约个演示吧\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
    env.update(COACH_HOME=str(home), HF_HUB_OFFLINE="1", COACH_TTS="espeak")
    result = subprocess.run([sys.executable, "-c", "from ui.cli import main; main()", "practice", "--scenario",
                             "zh-saas-price", "--seed", "11", "--script", str(script), "--user", user],
                            env=env, capture_output=True, text=True, timeout=600, cwd=home)
    assert result.returncode == 0, result.stderr
    return int(re.search(r"session (\d+) saved", result.stderr).group(1))


def test_mentor_finds_a_session_and_overrides_a_turn(app_server, browser, shots):
    session_id = play_session_as(app_server.home, "trainee")
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1400}).new_page()
    sign_in(page, app_server, "mentor", "mentor123")
    page.get_by_role("tab", name="复盘").click()
    page.locator("#rv-search").click()
    page.wait_for_function(f"() => document.querySelector('#rv-sessions').innerText.includes('{session_id}')",
                           timeout=60_000)
    page.locator("#rv-session-id input").fill(str(session_id))
    page.locator("#rv-open").click()
    page.wait_for_function("() => document.querySelector('#rv-transcript').innerText.includes('turn_id')",
                           timeout=60_000)
    transcript = page.locator("#rv-transcript").inner_text()
    turn_id = re.search(r"turn_id (\d+)", transcript).group(1)
    page.locator("#rv-turn-id input").fill(turn_id)
    page.locator("#rv-new-score input").fill("88")
    page.locator("#rv-comment textarea").fill("认同和澄清都做到了，给高分")
    page.locator("#rv-override-turn").click()
    page.wait_for_function(f"() => document.querySelector('#rv-message').innerText.includes('turn {turn_id}')",
                           timeout=60_000)
    page.wait_for_function("() => document.querySelector('#rv-transcript').innerText.includes('认同和澄清都做到了')",
                           timeout=60_000)
    page.screenshot(path=str(shots / "mentor-override.png"), full_page=True)
    assert "88" in page.locator("#rv-transcript").inner_text()


def test_trainee_cannot_see_the_review_tab(app_server, browser):
    page = browser.new_context(locale="zh-CN").new_page()
    sign_in(page, app_server, "trainee2", "trainee123")
    assert page.get_by_role("tab", name="复盘").count() == 0


def test_mentor_filters_sessions_with_unsure_grades(app_server, browser):
    import sqlite3

    session_id = play_session_as(app_server.home, "trainee")
    with sqlite3.connect(app_server.home / "coach.db") as db:  # as the grader writes it for an undecided reading
        db.execute("UPDATE turn_grades SET grade_json = json_set(grade_json, '$.unsure', json('true')) WHERE id = "
                   "(SELECT min(id) FROM turn_grades WHERE session_id = ?)", (session_id,))
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1400}).new_page()
    sign_in(page, app_server, "mentor", "mentor123")
    page.get_by_role("tab", name="复盘").click()
    page.locator("#rv-unsure input").check()
    page.locator("#rv-search").click()
    cells = ("() => [...document.querySelectorAll('#rv-sessions tbody tr')]"  # textContent: one body is for sizing
             ".map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim())).filter(row => row[0])")
    page.wait_for_function(f"() => ({cells})().some(row => row[0] === '{session_id}')", timeout=60_000)
    rows = page.evaluate(cells)
    column = SESSION_COLUMNS.index("unsure")
    assert all(int(row[column]) >= 1 for row in rows), rows  # only sessions with an unsure grade are listed
    assert any(row[0] == str(session_id) for row in rows)
    page.locator("#rv-session-id input").fill(str(session_id))
    page.locator("#rv-open").click()
    page.wait_for_function("() => document.querySelector('#rv-transcript').innerText.includes('评分把握不大')",
                           timeout=60_000)
