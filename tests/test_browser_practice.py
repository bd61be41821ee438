"""The walking skeleton in a real browser: sign in as the demo trainee, play three turns of the Chinese
price scenario against the offline customer, see three scores; screenshots show Chinese rendered."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]

REPLIES = [
    "理解您的顾虑，价格确实是重要的考虑。请问您现在主要对比的是哪家？",
    "我们有同行业客户的数据：上线三个月人效提升了30%，这部分节省已经覆盖了差价。",
    "要不我们约个时间，下周二给您和老板做个20分钟的演示，您看方便吗？",
]


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url)
    page.locator("#signin-username textarea, #signin-username input").first.fill(username)
    page.locator("#signin-password input").first.fill(password)
    page.locator("#signin-btn").click()
    page.locator("#main-panel").wait_for(state="visible", timeout=30_000)


def test_trainee_plays_three_turns_and_sees_three_scores(app_server, browser, shots):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    sign_in(page, app_server, "trainee", "trainee123")
    page.locator("#scenario-picker input").click()
    page.get_by_role("option").filter(has_text="XX品牌贵30%").first.click()
    page.locator("#start-btn").click()
    chat = page.locator("#practice-chat")
    chat.locator(".message").first.wait_for(timeout=60_000)
    scores = []
    panel = page.locator("#grade-panel")
    for reply in REPLIES:
        before = panel.inner_text()
        box = page.locator("#reply-box textarea")
        # the previous send clears the box; typing before that update lands would be wiped and send ""
        page.wait_for_function("() => document.querySelector('#reply-box textarea').value === ''", timeout=60_000)
        box.fill(reply)
        page.wait_for_function("(v) => document.querySelector('#reply-box textarea').value === v", arg=reply)
        page.locator("#send-btn").click()
        page.wait_for_function(
            "(n) => document.querySelectorAll('#practice-chat .message').length >= n", arg=1 + 2 * (len(scores) + 1),
            timeout=60_000)
        page.wait_for_function(
            "(old) => { const t = document.querySelector('#grade-panel').innerText; return t !== old && /\\d+\\/100/.test(t); }",
            arg=before, timeout=60_000)
        scores.append(panel.inner_text())
        if "本轮得分" not in scores[-1]:
            pytest.fail(f"no score shown after a reply: {scores[-1]!r}")
    page.screenshot(path=str(shots / "practice-zh.png"), full_page=True)
    assert len(scores) == 3
    errors = page.locator(".toast-body.error")
    assert errors.count() == 0, f"an error was shown on the page: {errors.all_inner_texts()}"
    assert len(chat.locator(".message").all()) >= 7  # opening + 3 x (reply, customer answer)
    text = chat.inner_text()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)
    # Chinese is rendered by a real CJK font, not tofu boxes: two different characters draw different pixels.
    differ = page.evaluate("""() => {
        const draw = (ch) => { const c = document.createElement('canvas'); c.width = 40; c.height = 40;
            const g = c.getContext('2d'); g.font = '32px sans-serif'; g.fillText(ch, 2, 32);
            return Array.from(g.getImageData(0, 0, 40, 40).data).join(','); };
        return draw('价') !== draw('格') && draw('格') !== draw('异'); }""")
    assert differ, "Chinese characters render as identical boxes: install fonts-wqy-microhei"
    page.locator("#end-btn").click()
    page.wait_for_function("() => document.querySelector('#scorecard-panel').innerText.includes('成绩单')",
                           timeout=60_000)
    page.screenshot(path=str(shots / "scorecard-zh.png"), full_page=True)
    assert "接下来练习" in page.locator("#scorecard-panel").inner_text()
    context.close()


def start_scenario(page, base_url, user, password, label):
    sign_in(page, base_url, user, password)
    page.locator("#scenario-picker input").click()
    page.get_by_role("option").filter(has_text=label).first.click()
    page.locator("#start-btn").click()
    page.locator("#practice-chat .message").first.wait_for(timeout=60_000)


def test_two_trainees_at_once_keep_their_own_sessions(app_server, browser, shots):
    """Two browser contexts (Chinese and English) practise at the same time; nothing leaks between them."""
    zh = browser.new_context(locale="zh-CN").new_page()
    en = browser.new_context(locale="en-US").new_page()
    start_scenario(zh, app_server, "trainee2", "trainee123", "XX品牌贵30%")
    start_scenario(en, app_server, "rep", "rep123", "too expensive for a small shop")
    zh.locator("#reply-box textarea").fill("理解您的顾虑，请问您现在对比的是哪家？")
    en.locator("#reply-box textarea").fill("I understand. What are you comparing us with?")
    zh.locator("#send-btn").click()
    en.locator("#send-btn").click()
    for page in (zh, en):
        page.wait_for_function("() => /\\d+\\/100/.test(document.querySelector('#grade-panel').innerText)",
                               timeout=60_000)
    zh_text, en_text = zh.locator("#practice-chat").inner_text(), en.locator("#practice-chat").inner_text()
    assert "对比的是哪家" in zh_text and "comparing us with" not in zh_text
    assert "comparing us with" in en_text and "对比的是哪家" not in en_text
    assert "Score for this reply" in en.locator("#grade-panel").inner_text() or "本轮得分" in en.locator(
        "#grade-panel").inner_text()
    zh.screenshot(path=str(shots / "trainee2-zh.png"), full_page=True)
    en.screenshot(path=str(shots / "rep-en.png"), full_page=True)
