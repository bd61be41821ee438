"""A rep on a call in a real browser: stream transcript lines into the Live page and see hint cards,
a highlighted decision signal and the mood radar; a script in the transcript never runs."""

from __future__ import annotations

import pytest
from test_browser_practice import sign_in

pytestmark = [pytest.mark.browser]

LINES = [
    "客户: 你们的价格比别家贵太多了，预算真的不够",
    "销售: 理解您的顾虑，我们可以先算一下总成本",
    "客户: 我们下周要开采购会，院长也会参加",
    "客户: <script>window.__pwned = 1</script>不行不行，算了吧",
]


def test_rep_streams_a_transcript_and_sees_cards(app_server, browser, shots):
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1400}).new_page()
    sign_in(page, app_server, "rep", "rep123")
    page.get_by_role("tab", name="实时辅助").click()
    for line in LINES:
        said = line.split(": ", 1)[1][-6:]  # the end of the line, as the transcript shows it
        page.locator("#live-line textarea").fill(line)
        page.locator("#live-send").click()
        page.wait_for_function("(s) => document.querySelector('#live-transcript').innerText.includes(s)",
                               arg=said, timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('#live-cards .live-card.objection').length > 0",
                           timeout=60_000)
    cards = page.locator("#live-cards").inner_text()
    assert "价格" in cards or "预算" in cards
    assert page.locator("#live-cards .live-card.keyword").count() >= 1  # 价格 / 预算 / 采购会 / 院长 keywords
    assert page.locator("#live-cards mark, #live-transcript mark").count() >= 1  # the 采购会 signal highlighted
    assert "—" not in page.locator("#live-mood").inner_text()  # the mood radar has a value
    assert page.evaluate("() => window.__pwned") is None  # escaped: the script in the transcript did not run
    page.screenshot(path=str(shots / "live-cards.png"), full_page=True)
