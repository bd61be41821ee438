"""Mentor takeover (渐进式放权): in a guided session a mentor can take the conversation over, reply to the
customer as the rep (marked as the mentor's turn, never graded against the trainee) and hand it back, while
the trainee watches live.

Who holds the conversation is stored as ``control`` rows in the session's turn list, like whispers: the
latest one wins, so a restart or a second server process sees the same controller.
"""

from __future__ import annotations

from sqlmodel import select

from coach.progression.guided import append_mentor_row, check_mentor_of_live_session
from coach.progression.teams import as_user
from coach.tables import PracticeSession, TurnRow, User
from knowledge.db import session as db_session

CONTROL = "control"
MENTOR = "mentor"
WATCHED = ("customer", "trainee", MENTOR)


class TakeoverError(ValueError):
    """A takeover action that is not allowed now (wrong role, ended session, someone else holds it)."""


def controller(session_id: int) -> dict:
    """Who answers the customer now: ``{"by": "trainee"}`` or ``{"by": "mentor", "mentor_id": id}``."""
    with db_session() as db:
        last = db.exec(select(TurnRow).where(TurnRow.session_id == session_id, TurnRow.speaker == CONTROL)
                       .order_by(TurnRow.idx.desc())).first()
    if last is None or last.text != MENTOR:
        return {"by": "trainee"}
    return {"by": MENTOR, "mentor_id": int((last.act or "mentor:0").split(":")[1])}


def _checked(session_id: int, mentor: User) -> None:
    check_mentor_of_live_session(session_id, mentor, "take over a session", ended=TakeoverError)


def _append_control(session_id: int, who: str, mentor: User) -> TurnRow:
    return append_mentor_row(session_id, mentor, CONTROL, who)


def take_over(session_id: int, mentor: User | str | int) -> dict:
    """The mentor answers the customer from now on; the trainee's replies are refused until hand-back."""
    mentor = as_user(mentor)
    _checked(session_id, mentor)
    now = controller(session_id)
    if now["by"] == MENTOR and now["mentor_id"] != mentor.id:
        raise TakeoverError(f"session {session_id} is already taken over by another mentor")
    if now["by"] != MENTOR:
        _append_control(session_id, MENTOR, mentor)
    return controller(session_id)


def hand_back(session_id: int, mentor: User | str | int) -> dict:
    """Give the conversation back to the trainee."""
    mentor = as_user(mentor)
    _checked(session_id, mentor)
    now = controller(session_id)
    if now["by"] == MENTOR and now["mentor_id"] != mentor.id and "admin" not in mentor.role_set:
        raise TakeoverError(f"session {session_id} is held by another mentor; only they can hand it back")
    if now["by"] == MENTOR:
        _append_control(session_id, "trainee", mentor)
    return controller(session_id)


def check_turn(session_id: int, mentor_id: int | None, lang: str = "zh") -> None:
    """Refuse a reply from whoever does not hold the conversation (called before anything is graded)."""
    now = controller(session_id)
    if mentor_id is None and now["by"] == MENTOR:
        raise TakeoverError("导师已接管对话，请先观摩；导师交还后你可以继续回复。" if lang == "zh" else
                            "Your mentor has taken over; watch for now, you can reply again once it is handed back.")
    if mentor_id is not None and (now["by"] != MENTOR or now["mentor_id"] != mentor_id):
        raise TakeoverError("请先接管对话再以销售身份回复。" if lang == "zh" else
                            "Take the session over before replying as the rep.")


def mentor_reply(practice, session_id: int, mentor: User | str | int, text: str):
    """Send the mentor's reply to the customer as the rep's turn; returns the stored TurnView (ungraded)."""
    mentor = as_user(mentor)
    _checked(session_id, mentor)
    return practice.reply(session_id, None, text, mentor_id=mentor.id)


def turns_since(session_id: int, viewer: User | str | int, after_idx: int = -1) -> list[dict]:
    """Conversation turns (customer, trainee, mentor) newer than ``after_idx``, for live watching."""
    from coach.review import can_view_session

    viewer = as_user(viewer)
    with db_session() as db:
        row = db.get(PracticeSession, session_id)
        if row is None:
            raise LookupError(f"session {session_id} does not exist")
        if row.user_id != viewer.id and not can_view_session(viewer, row):
            raise PermissionError(f"{viewer.username} may not watch session {session_id}")
        rows = db.exec(select(TurnRow).where(TurnRow.session_id == session_id, TurnRow.idx > after_idx,
                                             TurnRow.speaker.in_(WATCHED)).order_by(TurnRow.idx))
        return [{"idx": r.idx, "speaker": r.speaker, "text": r.text} for r in rows]


def mentor_turns_since(session_id: int, viewer: User | str | int, after_idx: int = -1) -> list[dict]:
    """The mentor's replies newer than ``after_idx`` and the customer's answers to them: what the trainee's
    page adds to its chat while a mentor holds the conversation."""
    turns = turns_since(session_id, viewer, -1)
    out = []
    for before, turn in zip([None, *turns], turns, strict=False):
        if turn["idx"] <= after_idx:
            continue
        if turn["speaker"] == MENTOR or (turn["speaker"] == "customer" and before and before["speaker"] == MENTOR):
            out.append(turn)
    return out
