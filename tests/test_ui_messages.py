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


def _refusal(call):
    try:
        call()
    except (ValueError, LookupError, PermissionError) as exc:
        return exc
    raise AssertionError("the coach did not refuse")


def test_mentor_page_refusals_read_in_the_page_language():
    """The coach refuses in English (logs, CLI, API); the Chinese mentor page shows the same refusal in Chinese."""
    from coach.review import _as_datetime, _check_override
    from ui.messages import refusal_text

    no_comment = _refusal(lambda: _check_override(50, ""))
    not_number = _refusal(lambda: _check_override("abc", "too high"))
    out_of_range = _refusal(lambda: _check_override(150, "too high"))
    bad_date = _refusal(lambda: _as_datetime("2026/11/29"))
    assert refusal_text(no_comment, "zh") == "请填写理由：说明为什么改分（会记入审计日志）。"
    assert refusal_text(not_number, "zh") == "分数 'abc' 不是数字，请填 0–100。"
    assert refusal_text(out_of_range, "zh") == "分数 150 超出范围，请填 0–100。"
    assert "2026/11/29" in refusal_text(bad_date, "zh") and "YYYY-MM-DD" in refusal_text(bad_date, "zh")
    assert refusal_text(no_comment, "en") == str(no_comment)  # English pages keep the coach's words
    unknown = refusal_text(LookupError("something new"), "zh")
    assert "something new" in unknown and "操作没有完成" in unknown  # never dropped, never a raw trace
