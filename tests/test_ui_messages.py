"""Pure mapping from domain objects to what the pages show: no server needed."""

from ui.messages import chat_messages, grade_markdown, nav_options, persona_card, scorecard_markdown

GRADE = {
    "objection": "price", "score": 42,
    "steps": {"acknowledge": True, "evidence": False, "advance": False},
    "weights": {"acknowledge": 0.2, "evidence": 0.5, "advance": 0.3},
    "evidence": [{"step": "acknowledge", "phrase": "理解您的顾虑"}],
    "anti_patterns": ["empty_agreement"], "feedback": "缺少举证", "suggestion": "我们给您看一组同行数据",
    "empty_agreement": True,
    "nav_options": [{"key": "evidence", "label_zh": "①提供数据佐证", "label_en": "① Show evidence", "phrase": "数据"}],
}


def test_transcript_maps_customer_to_assistant_and_escapes_html():
    messages = chat_messages([
        {"speaker": "customer", "text": "太贵了"},
        {"speaker": "trainee", "text": "<script>alert(1)</script>您说得对"},
        {"speaker": "whisper", "text": "mentor only"},
    ])
    assert [m["role"] for m in messages] == ["assistant", "user"]
    assert "<script>" not in messages[1]["content"] and "&lt;script&gt;" in messages[1]["content"]


def test_grade_markdown_shows_evidence_weights_and_issues_in_chinese_and_english():
    zh = grade_markdown(GRADE, "zh")
    assert "42" in zh and "认同" in zh and "理解您的顾虑" in zh and "×0.50" in zh and "空洞附和" in zh
    assert "empty_agreement" not in zh  # ids reach the page only as words (issue 17 item 5)
    en = grade_markdown(GRADE, "en")
    assert "acknowledge" in en and "Issues" in en and "Try" in en


def test_nav_bar_only_on_empty_agreement():
    assert nav_options(GRADE)[0]["key"] == "evidence"
    assert nav_options({**GRADE, "empty_agreement": False}) == []


def test_persona_card_and_scorecard():
    card = persona_card({"name": "周女士", "title": "采购经理", "company": "<b>一家</b>SaaS公司"}, "价格异议", "zh")
    assert "周女士" in card and "<b>" not in card
    md = scorecard_markdown({"score": 71.5, "outcome": "next_step_agreed", "objections_handled": "2/3",
                             "practice_next": ["举证", "推进"]}, "en")
    assert "Scorecard" in md and "2/3" in md and "1. " in md
