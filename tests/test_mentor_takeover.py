"""Mentor takeover (渐进式放权): a mentor takes a guided session over, replies as the rep (stored as the
mentor's turn, never graded against the trainee), the trainee is refused meanwhile and watches, and the
mentor hands it back."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.test_progression import fake_grade


@pytest.fixture
def prog(db):
    from coach.practice import PracticeService
    from coach.progression.tables import MIGRATIONS
    from coach.roleplay.engine import RolePlayEngine
    from coach.users import add_user, ensure_demo_users
    from knowledge.db import apply_migrations, get_engine

    apply_migrations(get_engine(), MIGRATIONS)
    ensure_demo_users()
    add_user("amy", "amy1234", "trainee", team="east", mentor="mentor", display_name="Amy", lang="en")
    add_user("mentor-west", "pw123456", "mentor", team="west")
    return PracticeService(engine_factory=lambda: RolePlayEngine(grade=fake_grade))


CASES = [
    ("trainee2", "zh-fmcg-shop-owner", "请问您主要担心的是哪一点？", "我是他的主管，这样：先给您两周试用，数据说话。", "导师已接管"),
    ("amy", "en-shop-price", "What worries you most about the price?",
     "I'm Amy's lead: let's do a two-week trial so you can see the numbers first.", "mentor has taken over"),
]


@pytest.mark.parametrize(("trainee", "scenario", "own_reply", "mentor_text", "refusal"), CASES)
def test_mentor_takes_over_replies_ungraded_and_hands_back(prog, trainee, scenario, own_reply, mentor_text, refusal):
    from coach.progression import start_session
    from coach.progression.takeover import (
        TakeoverError,
        controller,
        hand_back,
        mentor_reply,
        take_over,
        turns_since,
    )
    from coach.tables import TurnGrade
    from coach.users import get_user
    from knowledge.db import session as db_session

    user = get_user(trainee)
    live = start_session(prog, user, scenario, seed=3)
    prog.reply(live.session_id, user.id, own_reply)
    assert controller(live.session_id) == {"by": "trainee"}

    mentor = get_user("mentor")
    assert take_over(live.session_id, "mentor") == {"by": "mentor", "mentor_id": mentor.id}
    with pytest.raises(TakeoverError, match=refusal):
        prog.reply(live.session_id, user.id, own_reply)
    with pytest.raises(PermissionError):
        take_over(live.session_id, "mentor-west")  # not this trainee's mentor
    with pytest.raises(PermissionError, match="not a mentor"):
        take_over(live.session_id, trainee)

    turn = mentor_reply(prog, live.session_id, "mentor", mentor_text)
    assert turn.customer_text  # the customer answered the mentor
    seen = turns_since(live.session_id, trainee)  # the trainee watches every turn, the mentor's marked
    assert [t["speaker"] for t in seen][-2:] == ["mentor", "customer"]
    assert seen[-2]["text"] == mentor_text
    assert turns_since(live.session_id, trainee, after_idx=seen[-1]["idx"]) == []

    with db_session() as db:
        graded = list(db.exec(select(TurnGrade).where(TurnGrade.session_id == live.session_id)))
    assert len(graded) == 1  # only the trainee's own reply is graded

    assert hand_back(live.session_id, "mentor") == {"by": "trainee"}
    with pytest.raises(TakeoverError):
        mentor_reply(prog, live.session_id, "mentor", mentor_text)  # handed back: the mentor must take over again
    prog.reply(live.session_id, user.id, own_reply)
    transcript = prog.transcript(live.session_id, user.id)
    speakers = [t["speaker"] for t in transcript]
    assert speakers.count("mentor") == 1 and speakers.count("trainee") == 2
    assert [t["score"] for t in transcript if "score" in t].__len__() == 2
    ended = prog.end(live.session_id, user.id)
    assert ended.score is not None


def test_a_second_mentor_cannot_grab_a_held_session_and_ended_sessions_cannot_be_taken(prog):
    from coach.progression import start_session
    from coach.progression.takeover import TakeoverError, take_over
    from coach.users import add_user, get_user

    add_user("mentor2", "pw123456", "mentor", team="east")
    user = get_user("trainee2")
    live = start_session(prog, user, "zh-fmcg-shop-owner", seed=4)
    take_over(live.session_id, "mentor")
    with pytest.raises(TakeoverError, match="another mentor"):
        take_over(live.session_id, "mentor2")
    prog.end(live.session_id, user.id)
    with pytest.raises(TakeoverError, match="has ended"):
        take_over(live.session_id, "mentor")


@pytest.mark.parametrize(("lang", "banner", "label"), [("zh", "导师已接管", "导师"), ("en", "mentor has taken over", "Mentor")])
def test_trainee_page_shows_the_mentors_turns_and_who_holds_the_session(prog, lang, banner, label):
    from coach.progression import start_session
    from coach.progression.takeover import hand_back, mentor_reply, take_over
    from coach.users import get_user
    from ui.pages.practice_watch import watch

    user = get_user("trainee2")
    live = start_session(prog, user, "zh-fmcg-shop-owner", seed=3)
    sess, page_user = {"id": live.session_id, "lang": lang}, {"id": user.id}
    chat = [{"role": "assistant", "content": live.opening}]
    assert watch(sess, page_user, chat)[2] is None  # nothing changed: the page keeps what it shows

    take_over(live.session_id, "mentor")
    sess, chat, shown = watch(sess, page_user, chat)
    assert banner in shown
    turn = mentor_reply(prog, live.session_id, "mentor", "<b>先给您两周试用</b>")
    sess, chat, shown = watch(sess, page_user, chat)
    assert chat[-2]["role"] == "user" and chat[-2]["content"].startswith(f"**{label}：**")
    assert "&lt;b&gt;" in chat[-2]["content"]  # escaped, never rendered as markup
    assert chat[-1] == {"role": "assistant", "content": __import__("html").escape(turn.customer_text)}
    assert watch(sess, page_user, chat)[2] is None  # fetched once, not appended again

    hand_back(live.session_id, "mentor")
    sess, chat, shown = watch(sess, page_user, chat)
    assert shown == ""  # banner cleared: the trainee holds the conversation again


@pytest.mark.parametrize(("lang", "holder_text", "mentor_label"),
                         [("zh", "导师正在接管", "导师（接管）"), ("en", "You hold the conversation", "Mentor (takeover)")])
def test_review_live_view_marks_the_mentor_and_escapes_text(lang, holder_text, mentor_label):
    from ui.pages.review_takeover import live_html

    page = live_html([{"idx": 0, "speaker": "customer", "text": "太贵了<script>"},
                      {"idx": 1, "speaker": "mentor", "text": "先试用两周"}], {"by": "mentor", "mentor_id": 3}, lang)
    assert holder_text in page and mentor_label in page
    assert "<script>" not in page and "&lt;script&gt;" in page
