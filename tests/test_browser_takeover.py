"""Mentor takeover (渐进式放权) in two real browsers: the mentor takes a trainee's live guided session over,
answers the customer, and hands it back; the trainee watches the mentor's turns arrive and then replies."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_browser_practice import sign_in

pytestmark = [pytest.mark.browser]

CASES = [
    pytest.param("zh-CN", "trainee2", "小陈", "trainee123", "XX品牌贵30%", "我是主管，先给您两周免费试用，数据说话。",
                 "导师已接管", "您好，我接着刚才的聊：您最担心的是哪一点？", id="zh"),
    pytest.param("en-US", "rep", "Sam", "rep123", "too expensive for a small shop",
                 "I'm Sam's lead: how about a two-week free trial so you see the numbers first?",
                 "mentor has taken over", "Thanks for waiting. What worries you most about the price?", id="en"),
]


@pytest.mark.parametrize(("locale", "trainee", "name", "password", "scenario", "mentor_text", "banner", "own_reply"),
                         CASES)
def test_mentor_takes_over_and_hands_back_while_the_trainee_watches(app_server, browser, shots, locale, trainee,
                                                                    name, password, scenario, mentor_text, banner,
                                                                    own_reply):
    learner = browser.new_context(locale=locale, viewport={"width": 1280, "height": 1000}).new_page()
    sign_in(learner, app_server, trainee, password)
    learner.locator("#scenario-picker input").click()
    learner.get_by_role("option").filter(has_text=scenario).first.click()
    learner.locator("#start-btn").click()
    chat = learner.locator("#practice-chat")
    chat.locator(".message").first.wait_for(timeout=60_000)

    mentor = browser.new_context(locale=locale, viewport={"width": 1280, "height": 1600}).new_page()
    sign_in(mentor, app_server, "mentor", "mentor123")
    mentor.get_by_role("tab", name=re.compile("复盘|Review")).click()
    mentor.get_by_text("实时观摩 / Live guided sessions").click()
    mentor.locator("#rv-live-refresh").click()
    # Wait for this trainee's row itself: while the refresh runs, Gradio's progress text ("0.1s",
    # "processing | 0.3s") sits inside #rv-live, so "any digit there" passed before any row was drawn.
    # The table lists newest first and earlier tests on the shared server may leave this trainee's
    # older sessions open, so take the highest id among this trainee's rows.
    rows = mentor.locator("#rv-live").get_by_role("row").filter(has_text=name)
    expect(rows.first).to_be_visible(timeout=60_000)
    session_id = max(int(text.split()[0]) for text in rows.all_inner_texts())
    mentor.locator("#rv-live-id input").fill(str(session_id))
    mentor.locator("#rv-take-over").click()
    mentor.wait_for_function("() => document.querySelector('#rv-live-view').innerText.includes('导师正在接管')",
                             timeout=60_000)

    learner.wait_for_function("(b) => document.querySelector('#practice-msg').innerText.includes(b)", arg=banner,
                              timeout=60_000)
    mentor.locator("#rv-mentor-say textarea").fill(mentor_text)
    mentor.locator("#rv-mentor-send").click()
    mentor.wait_for_function("(t) => document.querySelector('#rv-live-view').innerText.includes(t)", arg=mentor_text,
                             timeout=60_000)
    # the trainee sees the mentor's turn, marked as the mentor's, and the customer's answer after it
    learner.wait_for_function("(t) => document.querySelector('#practice-chat').innerText.includes(t)",
                              arg=mentor_text, timeout=60_000)
    learner.wait_for_function("() => document.querySelectorAll('#practice-chat .message').length >= 3",
                              timeout=60_000)
    learner.screenshot(path=str(shots / f"trainee-watching-{locale}.png"), full_page=True)
    mentor.screenshot(path=str(shots / f"mentor-takeover-{locale}.png"), full_page=True)

    mentor.locator("#rv-hand-back").click()
    learner.wait_for_function("(b) => !document.querySelector('#practice-msg').innerText.includes(b)", arg=banner,
                              timeout=60_000)
    before = learner.locator("#grade-panel").inner_text()
    learner.locator("#reply-box textarea").fill(own_reply)
    learner.locator("#send-btn").click()
    learner.wait_for_function(
        "(old) => { const t = document.querySelector('#grade-panel').innerText; return t !== old && /\\d+\\/100/.test(t); }",
        arg=before, timeout=60_000)
    assert learner.locator(".toast-body.error").count() == 0
    # the mentor's view follows the trainee's own replies by itself (the live view's timer, on while a session is chosen)
    mentor.wait_for_function("(t) => document.querySelector('#rv-live-view').innerText.includes(t)",
                             arg=own_reply[:8], timeout=60_000)
    learner.context.close()
    mentor.context.close()
