"""Issue 17, mentor side, in a real browser (zh-CN and en-US): per-turn evidence reads like the trainee's,
the audit trail names the reply, the scores before and after, who, when and why, and the team dashboard
redraws after an override. Screenshots of the review page in both languages go to test-output/."""

from __future__ import annotations

import re

import pytest
from test_browser_practice import sign_in
from test_browser_review import play_session_as

pytestmark = [pytest.mark.browser]

CASES = {
    "zh": {"locale": "zh-CN", "tab": "复盘", "evidence": "依据", "step": "认同", "turn": "学员 第1轮",
           "audit": "第 1 轮回复", "reason": "认同做到了，举证不足"},
    "en": {"locale": "en-US", "tab": "Review", "evidence": "evidence", "step": "acknowledge", "turn": "Trainee #1",
           "audit": "reply 1", "reason": "acknowledged well, no evidence"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_mentor_reads_evidence_and_audit_trail_and_the_dashboard_follows_an_override(app_server, browser, shots, lang):
    case = CASES[lang]
    session_id = play_session_as(app_server.home, "trainee")
    page = browser.new_context(locale=case["locale"], viewport={"width": 1280, "height": 1600}).new_page()
    sign_in(page, app_server, "mentor", "mentor123")
    if lang == "en":
        page.locator("#lang-switch").get_by_text("en", exact=True).click()
    page.get_by_role("tab", name=case["tab"]).click()
    page.wait_for_function("() => document.querySelector('#rv-team').innerText.includes('|') || "
                           "document.querySelector('#rv-team table')", timeout=60_000)
    page.locator("#rv-session-id input").fill(str(session_id))
    page.locator("#rv-open").click()
    page.wait_for_function("() => document.querySelector('#rv-transcript').innerText.includes('turn_id')",
                           timeout=60_000)
    transcript = page.locator("#rv-transcript").inner_text()
    assert "{'" not in transcript and "'step'" not in transcript  # no Python dict
    assert case["turn"] in transcript  # replies are numbered
    assert case["step"] in transcript and ("✔" in transcript or "✘" in transcript)
    team_before = page.locator("#rv-team").inner_text()
    turn_id = re.search(r"turn_id (\d+)", transcript).group(1)
    page.locator("#rv-turn-id input").fill(turn_id)
    page.locator("#rv-new-score input").fill("3")
    page.locator("#rv-comment textarea").fill(case["reason"])
    page.locator("#rv-override-turn").click()
    page.wait_for_function("(t) => document.querySelector('#rv-transcript').innerText.includes(t)",
                           arg=case["reason"], timeout=60_000)
    trail = page.locator("#rv-transcript ul.rv-audit li").last.inner_text()
    assert case["audit"] in trail and "→ 3" in trail and "王导师" in trail and "UTC" in trail, trail
    assert f"({turn_id} →" not in trail
    # the dashboard redraws from the stored scores without pressing anything
    page.wait_for_function("(old) => document.querySelector('#rv-team').innerText !== old", arg=team_before,
                           timeout=60_000)
    page.screenshot(path=str(shots / f"review-{lang}.png"), full_page=True)
    page.context.close()
