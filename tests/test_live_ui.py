"""Live page formatting (hint events -> HTML) without a server; every transcript text is escaped."""

from __future__ import annotations

from ui.pages.live import card_html, cards_html, debrief_html, highlight, mood_html

EVIL = "<script>alert(1)</script>"


def test_objection_card_zh_escapes_everything():
    hint = {"type": "objection_card", "title": "价格异议", "confidence": 0.91, "latency_ms": 12.3, "text": EVIL,
            "steps": [{"label": "认同", "phrase": f"理解 {EVIL}"}],
            "moments": [{"text": EVIL, "next_rep": "<img src=x onerror=alert(2)>"}]}
    out = card_html(hint, "zh")
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "价格异议" in out and "91%" in out and "赢单中的相似时刻" in out


def test_keyword_and_signal_cards_en():
    card = card_html({"type": "keyword_card", "title": "Tender", "keyword": "tender",
                      "fields": [{"label": "Tender date", "value": "next week' onfocus='x"}]}, "en")
    assert "Tender date" in card and "value='next week&#x27; onfocus=&#x27;x'" in card
    sig = card_html({"type": "signal", "label": "procurement meeting", "text": f"{EVIL} procurement meeting soon",
                     "start": len(EVIL) + 1, "end": len(EVIL) + 20}, "en")
    assert "<mark>procurement meeting</mark>" in sig and "<script>" not in sig


def test_highlight_marks_only_the_span():
    assert highlight("我们下周要开采购会", 6, 9) == "我们下周要开<mark>采购会</mark>"
    assert highlight("<b>", 0, 3) == "<mark>&lt;b&gt;</mark>"


def test_mood_indicator_warns():
    assert "⚠" in mood_html({"value": 0.3, "warning": True}, "zh") and "情绪走低" in mood_html(
        {"value": 0.3, "warning": True}, "zh")
    calm = mood_html({"value": 0.9, "warning": False}, "en")
    assert "⚠" not in calm and "0.90" in calm and "width:90%" in calm


def test_cards_newest_first_and_mood_kept_out():
    hints = [{"type": "keyword_card", "title": "A", "keyword": "a", "fields": []},
             {"type": "mood", "value": 0.5, "warning": False},
             {"type": "error", "message": EVIL}]
    out = cards_html(hints, "en")
    body = out.split("</style>", 1)[1]
    assert body.index("live-card error") < body.index("live-card keyword") and "live-mood" not in body
    assert "<script>" not in out.split("</style>", 1)[1]
    assert "No hints yet." in cards_html([], "en") and "还没有提示" in cards_html([], "zh")


def test_debrief_html_marks_handled():
    out = debrief_html({"signals": [{"label": "采购会/招标", "text": EVIL}],
                        "objections": [{"title": "价格异议", "times": 2, "handled": False, "text": "太贵"}],
                        "success_cases": []}, "zh")
    assert "✘" in out and "未处理" in out and "<script>" not in out.split("</style>", 1)[1]


def test_page_builds_inside_blocks():
    import gradio as gr

    from ui.pages import live

    with gr.Blocks() as blocks:
        user = gr.State(None)
        assert live.build(None, user, None) == {}
    ids = {getattr(c, "elem_id", None) for c in blocks.blocks.values()}
    assert {"live-line", "live-cards", "live-mood", "live-debrief", "live-audio", "live-replay"} <= ids
