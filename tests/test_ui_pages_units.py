"""Issue 17 (items 1-5, 7-9) and issue 16 item 10 without a browser: step chart scale, session lifecycle
(idle and restart-cut sessions closed as abandoned, the unfinished one offered again), locked-scenario
message, picker language, ids as words, readable mentor evidence, audit trail, dashboard axes."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from test_progression import FAKE_STRONG_EN, FAKE_STRONG_ZH, play, prog  # noqa: F401

CJK = re.compile(r"[\u4e00-\u9fff]")
LANG_CASES = {"zh": {"user": "trainee", "scenario": "zh-saas-price", "reply": FAKE_STRONG_ZH},
              "en": {"user": "amy", "scenario": "en-shop-price", "reply": FAKE_STRONG_EN}}


# --- item 1: the step chart ----------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "word"), [("zh", "认同"), ("en", "acknowledge")])
def test_step_chart_draws_fractions_on_the_percent_axis(lang, word):
    from ui.messages import step_chart_frame

    frame = step_chart_frame({"step_averages": {"acknowledge": 1.0, "evidence": 0.333, "advance": 0.0}}, lang)
    assert list(frame["score"]) == [100.0, 33.3, 0.0]  # the chart's axis is 0-100
    assert frame["step"][0] == word


# --- item 2 and issue 16 item 10: session lifecycle ----------------------------------------------------
def _start(prog, lang):  # noqa: F811
    from coach.progression import start_session
    from coach.users import get_user

    case = LANG_CASES[lang]
    user = get_user(case["user"])
    view = start_session(prog, user, case["scenario"], seed=3)
    prog.reply(view.session_id, user.id, case["reply"])
    return user, view.session_id


def _age(session_id, minutes):
    """Move a session's start and turns back in time, as if nobody had touched it since."""
    from sqlmodel import select

    from coach.tables import PracticeSession, TurnRow
    from knowledge.db import session as db_session

    with db_session() as db:
        row = db.get(PracticeSession, session_id)
        row.started_at -= timedelta(minutes=minutes)
        db.add(row)
        for turn in db.exec(select(TurnRow).where(TurnRow.session_id == session_id)):
            turn.created_at -= timedelta(minutes=minutes)
            db.add(turn)
        db.commit()


def _status(session_id):
    from coach.tables import PracticeSession
    from knowledge.db import session as db_session

    with db_session() as db:
        return db.get(PracticeSession, session_id).status


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sessions_idle_past_the_setting_are_closed_as_abandoned(prog, monkeypatch, lang):  # noqa: F811
    from coach.progression import open_sessions
    from coach.progression.evidence import load_sessions
    from coach.review import list_sessions
    from knowledge.settings import get_settings

    monkeypatch.setenv("COACH_PRACTICE_IDLE_MINUTES", "20")
    get_settings.cache_clear()
    user, stale = _start(prog, lang)
    _, fresh = _start(prog, lang)
    _age(stale, 25)
    _age(fresh, 10)
    rows = {r["session_id"]: r for r in list_sessions("mentor")}  # the mentor's list never shows it active
    assert rows[stale]["status"] == "abandoned" and rows[stale]["outcome"] == "abandoned"
    assert rows[stale]["score"] is not None  # the replies played still show
    assert rows[fresh]["status"] == "active"
    assert [s["session_id"] for s in open_sessions(user.id)] == [fresh]
    assert stale not in {s.id for s in load_sessions(user.id)}  # never counts towards a gate


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_server_start_closes_sessions_cut_off_by_the_restart(prog, lang):  # noqa: F811
    from ui.services import Services

    _, cut = _start(prog, lang)
    _age(cut, 31)  # default setting: 30 minutes
    Services()
    assert _status(cut) == "abandoned"


@pytest.mark.parametrize(("lang", "words"), [("zh", "未结束的练习"), ("en", "unfinished session")])
def test_signing_in_again_offers_the_unfinished_session(prog, lang, words):  # noqa: F811
    import gradio as gr

    from ui.pages import practice
    from ui.services import Services
    from ui.texts import i18n

    user, sid = _start(prog, lang)
    with gr.Blocks():
        page = practice.build(Services(practice=prog, sweep_on_start=False), gr.State(None), i18n())
    fn, inputs, outputs = page["refresh"]
    _choices, panel, info, offered = fn({"id": user.id, "username": user.username, "lang": lang}, None)
    assert panel["visible"] is True and offered == sid
    assert words in info and "1" in info  # one reply so far
    title = prog.scenario(LANG_CASES[lang]["scenario"]).title
    assert title[:6] in html.unescape(info)
    # the session already on the page is not offered again
    assert fn({"id": user.id, "username": user.username, "lang": lang}, {"id": sid})[3] is None


# --- item 3: locked scenario message --------------------------------------------------------------
@pytest.mark.parametrize(("lang", "words"), [("zh", "尚未解锁"), ("en", "is locked")])
def test_locked_scenario_message_says_what_unlocks_it_in_the_page_language(prog, lang, words):  # noqa: F811
    from coach.progression import ScenarioLocked, start_session
    from ui.messages import error_text

    with pytest.raises(ScenarioLocked) as caught:
        start_session(prog, "trainee", "zh-ecommerce-trust", lang=lang)
    text = error_text(caught.value, lang, "跨境电商卖家")
    assert words in text and "跨境电商卖家" in text
    reason = caught.value.reason
    assert bool(CJK.search(reason)) == (lang == "zh"), reason  # the gate's name in the page's language
    if lang == "zh":
        assert "scenario" not in text and "locked" not in text


# --- item 4: the picker follows the page language -----------------------------------------------------
@pytest.mark.parametrize(("lang", "mine", "other"), [("zh", "中文", "英文"), ("en", "English", "Chinese")])
def test_picker_lists_the_page_language_first_with_gate_names_in_it(prog, lang, mine, other):  # noqa: F811
    from coach.users import get_user
    from ui.services import Services

    user = get_user("trainee")  # stored language zh; the page may be switched to English
    choices = Services(practice=prog, sweep_on_start=False).scenario_choices({"id": user.id, "lang": lang})
    labels = [label for label, _ in choices]
    first_other = next(i for i, text in enumerate(labels) if other in text)
    assert all(mine in text for text in labels[:first_other]) and all(other in text for text in labels[first_other:])
    locked = [text for text in labels if "[未解锁]" in text or "[locked]" in text]
    assert locked
    for text in locked:
        assert bool(CJK.search(text.split("—", 1)[1])) == (lang == "zh"), text
    assert not any(re.search(r"\[(zh|en)\]", text) for text in labels)  # no language ids


# --- item 5: ids as words, Markdown that renders --------------------------------------------------
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scorecard_and_grade_show_words_not_ids(lang):
    from ui.messages import grade_markdown, scorecard_markdown

    card = scorecard_markdown({"score": 55, "outcome": "ended_by_trainee", "objections_handled": "1/2",
                               "follow_up_atoms": {"contact_confirmed": True, "owner_named": False},
                               "practice_next": ["举证"]}, lang)
    grade = grade_markdown({"score": 40, "objection": "need", "steps": {"clarify": False},
                            "anti_patterns": ["empty_agreement", "discount_without_tradeoff"]}, lang)
    for text in (card, grade):
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text
        assert "`" not in text
    if lang == "zh":
        assert "学员提前结束" in card and "确认联系方式" in card and "需求" in grade and "空洞附和" in grade
        assert not re.search(r"\bneed\b", grade)
    else:
        assert "ended by the trainee" in card and "contact details confirmed" in card and "empty agreement" in grade


@pytest.mark.parametrize(("lang", "head"), [("zh", "下一关"), ("en", "Next gate")])
def test_next_gate_line_renders_bold(lang, head):
    from markdown_it import MarkdownIt

    from ui.messages import next_gate_markdown, scorecard_markdown

    md = next_gate_markdown({"zh": "需求挖掘", "en": "Discovery"}, "discovery", lang)
    rendered = MarkdownIt("commonmark").render(md)
    assert f"<strong>{head}</strong>" in rendered and "**" not in rendered
    rendered = MarkdownIt("commonmark").render(scorecard_markdown({"score": 1, "practice_next": ["a"]}, lang))
    assert "**" not in rendered


@pytest.mark.parametrize(("lang", "words"), [("zh", "请重试"), ("en", "Try again")])
def test_coach_errors_are_framed_in_the_page_language(lang, words):
    from coach.practice import PracticeError
    from ui.messages import error_text
    from ui.texts import t

    assert error_text(PracticeError("session 4 has ended; start a new one"), lang) == t("session_over", lang)
    assert words in error_text(RuntimeError("database is locked"), lang)


# --- items 7 and 8: the mentor's transcript and audit trail ----------------------------------------------
GRADE = {"objection": "price", "score": 64, "steps": {"acknowledge": True, "evidence": False},
         "weights": {"acknowledge": 0.3, "evidence": 0.7}, "anti_patterns": ["empty_agreement"],
         "evidence": [{"step": "acknowledge", "phrase": "理解您的顾虑", "source": "playbook:price", "probability": 0.9,
                       "examples": []}]}


@pytest.mark.parametrize(("lang", "words"), [("zh", ["认同", "理解您的顾虑", "空洞附和", "价格"]),
                                             ("en", ["acknowledge", "理解您的顾虑", "empty agreement", "price"])])
def test_mentor_evidence_reads_like_the_trainees(lang, words):
    from ui.messages import evidence_lines
    from ui.pages.review import transcript_html

    detail = {"session_id": 1, "scenario_id": "zh-saas-price", "name": "小李", "score": 64, "outcome": "ended_by_trainee",
              "mode": "standard", "status": "completed", "reviews": [],
              "turns": [{"turn_id": 9, "no": 1, "speaker": "trainee", "text": "理解您的顾虑", "objection": "price",
                         "grade": GRADE, "score": 64, "original_score": 64, "override_score": None}]}
    page = transcript_html(detail, lang)
    assert "{" not in page and "&#x27;step&#x27;" not in page and "playbook:" not in page
    for word in words:
        assert word in page
    assert evidence_lines(GRADE, lang)[0] in page  # the same line the trainee reads


@pytest.mark.parametrize(("lang", "what", "who"), [("zh", "第 1 轮回复", "王导师"), ("en", "reply 1", "王导师")])
def test_audit_trail_names_the_reply_scores_before_and_after_who_and_when(prog, lang, what, who):  # noqa: F811
    from coach.progression import set_team_settings
    from coach.review import override_session, override_turn, session_detail
    from ui.pages.review import transcript_html

    set_team_settings("east", guided_sessions=0)
    sid = play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH])
    turn = next(t for t in session_detail("mentor", sid)["turns"] if "score" in t)
    override_turn("mentor", turn["turn_id"], 61, "证据不足")
    override_turn("mentor", turn["turn_id"], 70, "再看一遍")
    override_session("mentor", sid, 75, "整体不错")
    page = transcript_html(session_detail("mentor", sid), lang)
    trail = page.split("<ul class='rv-audit'>", 1)[1]
    items = re.findall(r"<li>(.*?)</li>", trail)
    assert len(items) == 3
    assert what in items[0] and "88 → 61" in items[0] and who in items[0] and "UTC" in items[0] and "证据不足" in items[0]
    assert "61 → 70" in items[1]
    assert "→ 75" in items[2]
    assert f"({turn['turn_id']} →" not in page  # the turn id is not passed off as a score change


# --- item 9: the dashboard axes --------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "xlabel"), [("zh", "练习日期"), ("en", "session date")])
def test_dashboard_trend_uses_dates_and_whole_numbers(prog, lang, xlabel):  # noqa: F811
    from coach.progression import set_team_settings
    from coach.review import team_overview
    from ui.pages.review import dashboard_figure

    set_team_settings("east", guided_sessions=0)
    play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH], days_ago=3)
    play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH], days_ago=1)
    fig = dashboard_figure(team_overview("mentor"), lang)
    trend = fig.axes[1]
    fig.canvas.draw()
    ticks = [t.get_text() for t in trend.get_xticklabels() if t.get_text()]
    assert ticks and not any(re.fullmatch(r"\d+\.\d+", t) for t in ticks), ticks  # no 1.0, 1.2 ... sessions
    assert any(re.search(r"[A-Za-z]{3}|\d{4}|\d{2}", t) for t in ticks)
    assert trend.get_xlabel() == xlabel
    yticks = [t.get_text().replace("\u2212", "-") for t in trend.get_yticklabels() if t.get_text()]
    assert all(re.fullmatch(r"-?\d+", t) for t in yticks), yticks
