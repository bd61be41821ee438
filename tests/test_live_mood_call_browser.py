"""A rep's scripted call on the Live page in a real browser (zh and en), through the real understanding layer:
the mood gauge falls with the price objection and the curt "no", and rises when the customer warms; the
debrief lists exactly the objections that got a card and the agreed slot (下周二上午 / next Tuesday morning).

On the old page the gauge showed the first reading for the whole call (later readings were cooled down), and
the debrief had no next step for a bare "下周二上午可以".
"""

from __future__ import annotations

import re

import pytest
from test_browser_practice import sign_in

pytestmark = [pytest.mark.browser]

CALLS = {
    "zh": {"tab": "实时辅助", "locale": "zh-CN", "slot": "下周二上午", "lines": [
        "客户: 你好，请讲",
        "客户: 你们的价格太贵了",
        "销售: 理解，这确实是一笔投入。方便说说您是跟哪家在比吗？",
        "客户: 不行",
        "销售: 我们可以先免费试用两周，不满意不收费。下周二上午我过来演示一下，方便吗？",
        "客户: 好的，这个方案不错",
        "客户: 下周二上午可以",
    ]},
    "en": {"tab": "Live assist", "locale": "en-US", "slot": "Next Tuesday morning", "lines": [
        "Customer: Hello, go ahead",
        "Customer: Your price is too high for us.",
        "Rep: I understand, it is an investment. Which vendor are you comparing us with?",
        "Customer: No.",
        "Rep: We can start with a free two-week trial. Could I show you a demo next Tuesday morning?",
        "Customer: Sounds great, let's do it",
        "Customer: Next Tuesday morning works for me",
    ]},
}
MOVE = 0.25  # the gauge must clearly fall and clearly rise


def _gauge(page) -> float | None:
    """The number the rep sees on the gauge (客户情绪: 0.88 / Customer mood: 0.88)."""
    found = re.search(r"[:：]\s*([01]\.\d\d)", page.locator("#live-mood").inner_text())
    return float(found.group(1)) if found else None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_mood_falls_then_rises_and_the_debrief_matches_the_cards(app_server, browser, shots, lang):
    call = CALLS[lang]
    page = browser.new_context(locale=call["locale"], viewport={"width": 1280, "height": 1500}).new_page()
    sign_in(page, app_server, "rep", "rep123")
    page.get_by_role("tab", name=call["tab"]).click()
    page.locator("#live-lang").get_by_text(lang, exact=True).click()
    readings = []
    for n, line in enumerate(call["lines"], start=1):
        page.locator("#live-line textarea").fill(line)
        page.locator("#live-send").click()
        said = line.split(": ", 1)[1][-6:]
        page.wait_for_function("([s, n]) => document.querySelector('#live-transcript').innerText.includes(s) && "
                               "document.querySelectorAll('#live-transcript b').length >= n",
                               arg=[said, n], timeout=90_000)
        if line.startswith(("客户", "Customer")):
            readings.append(_gauge(page))
        if n == 4:
            page.screenshot(path=str(shots / f"live-mood-low-{lang}.png"), full_page=True)
    assert None not in readings, readings
    low = readings.index(min(readings))
    assert readings[0] - readings[low] >= MOVE, readings  # the objection and the curt "no" pull it down
    assert readings[-1] - readings[low] >= MOVE and low < len(readings) - 1, readings  # warm lines lift it

    page.locator("#live-debrief").click()
    page.locator("#live-debrief-out .live-next-steps").wait_for(timeout=90_000)
    steps = page.locator("#live-debrief-out .live-next-steps mark").all_inner_texts()
    assert call["slot"] in steps, steps
    carded = sorted(set(page.evaluate(
        "() => [...document.querySelectorAll('#live-cards .live-card.objection')].map(c => c.dataset.objection)")))
    listed = sorted(page.evaluate(
        "() => [...document.querySelectorAll('#live-debrief-out .live-debrief-objection')]"
        ".map(li => li.dataset.objection)"))
    assert carded and listed == carded  # the debrief and the cards come from the same records
    page.screenshot(path=str(shots / f"live-debrief-{lang}.png"), full_page=True)
