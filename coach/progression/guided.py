"""Guided first sessions (渐进式放权): the first N sessions run guided with hints on; mentors watch live
and whisper hints that only the trainee (and mentors) see."""

from __future__ import annotations

from sqlmodel import func, select

from coach.progression.evidence import COUNTED_MODES
from coach.progression.teams import as_user, team_settings
from coach.tables import PracticeSession, TurnRow, User
from knowledge.db import session as db_session

WHISPER = "whisper"
MAX_WHISPER = 500


def completed_sessions(user: User | str | int) -> int:
    user = as_user(user)
    with db_session() as db:
        return db.exec(select(func.count()).select_from(PracticeSession).where(
            PracticeSession.user_id == user.id, PracticeSession.status == "completed",
            PracticeSession.mode.in_(COUNTED_MODES))).one()


def guided_left(user: User | str | int) -> int:
    """How many guided sessions remain (the team's N minus the sessions completed)."""
    user = as_user(user)
    return max(0, team_settings(user.team).guided_sessions - completed_sessions(user))


def session_mode(user: User | str | int, want_hints: bool | None = None) -> tuple[str, bool]:
    """(mode, hints) for the user's next session: guided with hints while guided sessions remain, then
    standard where hints are the trainee's choice and off by default (only hint-free sessions count for
    gates that ask for it)."""
    if guided_left(user) > 0:
        return "guided", True
    return "standard", bool(want_hints)


def send_whisper(session_id: int, mentor: User | str | int, text: str) -> TurnRow:
    """Store a mentor's whisper in an active session; the customer never sees it (the engine reads only
    customer and trainee turns)."""
    mentor = as_user(mentor)
    text = (text or "").strip()
    if not text:
        raise ValueError("the whisper is empty; type a short hint for the trainee")
    if len(text) > MAX_WHISPER:
        raise ValueError(f"the whisper has {len(text)} characters; keep it under {MAX_WHISPER}")
    check_mentor_of_live_session(session_id, mentor, "whisper hints")
    return append_mentor_row(session_id, mentor, WHISPER, text)


def check_mentor_of_live_session(session_id: int, mentor: User, doing: str,
                                 ended: type[Exception] = ValueError) -> None:
    """Only a mentor (or admin) who may see the trainee, and only while the session is live, may ``doing``."""
    from coach.review import can_view_session

    if not ({"mentor", "admin"} & mentor.role_set):
        raise PermissionError(f"{mentor.username} is not a mentor; only mentors can {doing}")
    with db_session() as db:
        row = db.get(PracticeSession, session_id)
        if row is None:
            raise LookupError(f"session {session_id} does not exist")
        if not can_view_session(mentor, row):
            raise PermissionError(f"{mentor.username} is not the mentor of session {session_id}'s trainee")
        if row.status != "active":
            raise ended(f"session {session_id} has ended; only a live session allows this ({doing})")


def append_mentor_row(session_id: int, mentor: User, speaker: str, text: str) -> TurnRow:
    """A mentor's row (whisper, takeover control) after the session's last turn, marked with who wrote it."""
    with db_session() as db:
        last = db.exec(select(func.max(TurnRow.idx)).where(TurnRow.session_id == session_id)).one()
        row = TurnRow(session_id=session_id, idx=(last if last is not None else -1) + 1, speaker=speaker,
                      text=text, act=f"mentor:{mentor.id}")
        db.add(row)
        db.commit()
        db.refresh(row)
        return row


def whispers_since(session_id: int, viewer: User | str | int, after_idx: int = -1) -> list[dict]:
    """Whispers newer than ``after_idx``, for the session's own trainee or a mentor who may see it."""
    from coach.review import can_view_session

    viewer = as_user(viewer)
    with db_session() as db:
        row = db.get(PracticeSession, session_id)
        if row is None:
            raise LookupError(f"session {session_id} does not exist")
        if not can_view_session(viewer, row):
            raise PermissionError(f"{viewer.username} may not see whispers of session {session_id}")
        rows = db.exec(select(TurnRow).where(TurnRow.session_id == session_id, TurnRow.speaker == WHISPER,
                                             TurnRow.idx > after_idx).order_by(TurnRow.idx))
        return [{"idx": r.idx, "text": r.text, "at": r.created_at.isoformat()} for r in rows]


def active_guided_sessions(mentor: User | str | int) -> list[dict]:
    """Live guided sessions of the trainees this mentor may see, newest first (idle ones closed first)."""
    from coach.progression.lifecycle import close_idle_sessions
    from coach.review import visible_user_ids

    close_idle_sessions()
    mentor = as_user(mentor)
    ids = visible_user_ids(mentor)
    with db_session() as db:
        query = select(PracticeSession, User).join(User, User.id == PracticeSession.user_id).where(
            PracticeSession.status == "active", PracticeSession.mode == "guided")
        if ids is not None:
            query = query.where(PracticeSession.user_id.in_(ids))
        rows = db.exec(query.order_by(PracticeSession.started_at.desc()))
        return [{"session_id": s.id, "trainee": u.username, "name": u.display_name, "scenario_id": s.scenario_id,
                 "started_at": s.started_at.isoformat(timespec="seconds")} for s, u in rows]
