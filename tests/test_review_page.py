"""The mentor Review page: pure view functions (escaping, dashboard figure) and the refresh handler."""

from __future__ import annotations

import pytest
from test_progression import FAKE_STRONG_ZH, FAKE_WEAK_ZH, play, prog  # noqa: F401


@pytest.fixture
def played(prog):  # noqa: F811
    from coach.progression import set_team_settings

    set_team_settings("east", guided_sessions=0)
    hostile = "<script>alert(1)</script> 给您看数据"
    return {"sid": play(prog, "trainee", "drill-price", [hostile, FAKE_WEAK_ZH]),
            "sid2": play(prog, "trainee2", "drill-need", [FAKE_STRONG_ZH], days_ago=1), "hostile": hostile}


def test_transcript_html_escapes_and_shows_grades_chinese(played):
    from coach.review import override_turn, session_detail
    from ui.pages.review import transcript_html

    turn = next(t for t in session_detail("mentor", played["sid"])["turns"] if "score" in t)
    override_turn("mentor", turn["turn_id"], 61, "<b>证据</b>不足")
    page = transcript_html(session_detail("mentor", played["sid"]), "zh")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;证据&lt;/b&gt;不足" in page and "原始分 88" in page and f"turn_id {turn['turn_id']}" in page
    assert "依据" in page and "学员" in page


def test_dashboard_figure_and_team_table_english(played):
    from coach.review import team_overview
    from ui.pages.review import dashboard_figure, team_markdown

    overview = team_overview("mentor")
    fig = dashboard_figure(overview, "en")
    bars, trend = fig.axes
    assert bars.get_title() == "Team's weakest objection types (mean score)"
    labels = [t.get_text() for t in bars.get_yticklabels()]
    assert set(labels) == {w["objection"] for w in overview["weakest_objections"][:8]}
    assert len(trend.get_lines()) == 2  # one trend line per trainee with sessions
    table = team_markdown(overview, "en")
    assert "| Trainee |" in table and "小李 (trainee)" in table
    empty = dashboard_figure({"trainees": [], "weakest_objections": []}, "zh")
    assert "暂无数据" in [t.get_text() for t in empty.axes[0].texts]


def test_refresh_fills_the_page_for_a_mentor_only(played):
    import gradio as gr

    from ui.pages import review
    from ui.services import Services
    from ui.texts import i18n

    with gr.Blocks():
        state = gr.State(None)
        page = review.build(Services(), state, i18n())
    fn, inputs, outputs = page["refresh"]
    assert len(inputs) == 1 and len(outputs) == 6
    from coach.users import get_user

    mentor = get_user("mentor")
    trainee_dd, rows, signoff_dd, fig, team_md, live = fn(
        {"id": mentor.id, "username": "mentor", "roles": ["mentor"], "lang": "zh"})
    assert {r[0] for r in rows} == {played["sid"], played["sid2"]}
    assert ("小李 (trainee)", "trainee") in signoff_dd["choices"] and fig is not None
    trainee = get_user("trainee")
    blank = fn({"id": trainee.id, "username": "trainee", "roles": ["trainee"], "lang": "zh"})
    assert blank[1] == [] and blank[3] is None
