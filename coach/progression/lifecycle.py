"""Practice-session lifecycle: a trainee's open session can be found again after signing in (to resume or
end it), and a session nobody has touched for ``COACH_PRACTICE_IDLE_MINUTES`` is closed as abandoned.

Why lazily: a server restart (or a closed tab) leaves sessions "active" with nobody to end them, so every
place that lists or resumes sessions first sweeps the idle ones; the web app also sweeps when it starts.
Abandoned sessions keep their turns and score for the mentor but never count towards gates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import func, select

from coach.tables import PracticeSession, TurnGrade, TurnRow
from knowledge.db import session as db_session
from knowledge.db import utcnow

ABANDONED = "abandoned"


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def idle_limit() -> timedelta:
    from knowledge.settings import get_settings

    return timedelta(minutes=get_settings().practice_idle_minutes)


def _last_activity(db, ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = db.exec(select(TurnRow.session_id, func.max(TurnRow.created_at))
                   .where(TurnRow.session_id.in_(ids)).group_by(TurnRow.session_id))
    return {sid: _aware(at) for sid, at in rows if at is not None}


def close_idle_sessions(now: datetime | None = None, idle: timedelta | None = None) -> list[int]:
    """Mark active sessions whose last turn (or start) is older than ``idle`` as abandoned; returns their ids.

    The score covers the replies played, so a mentor still sees what happened."""
    now = _aware(now) or utcnow()
    cutoff = now - (idle if idle is not None else idle_limit())
    closed = []
    with db_session() as db:
        active = list(db.exec(select(PracticeSession).where(PracticeSession.status == "active")))
        last = _last_activity(db, [r.id for r in active])
        for row in active:
            seen = max(filter(None, [_aware(row.started_at), last.get(row.id)]))
            if seen >= cutoff:
                continue
            scores = [g.override_score if g.override_score is not None else g.score
                      for g in db.exec(select(TurnGrade).where(TurnGrade.session_id == row.id))]
            row.status = ABANDONED
            row.outcome = ABANDONED
            row.ended_at = now
            row.score = round(sum(scores) / len(scores), 1) if scores else None
            db.add(row)
            closed.append(row.id)
        if closed:
            db.commit()
    return closed


def open_sessions(user_id: int) -> list[dict[str, Any]]:
    """The user's sessions still running (after closing idle ones), newest first, with what the resume
    prompt shows: scenario, when it started, when it was last touched and how many replies were made."""
    close_idle_sessions()
    with db_session() as db:
        rows = list(db.exec(select(PracticeSession).where(PracticeSession.user_id == user_id,
                                                          PracticeSession.status == "active",
                                                          PracticeSession.mode != "preview")
                            .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())))
        last = _last_activity(db, [r.id for r in rows])
        counted = db.exec(select(TurnRow.session_id, func.count()).where(
            TurnRow.session_id.in_([r.id for r in rows]), TurnRow.speaker == "trainee").group_by(TurnRow.session_id))
        replies = {sid: n for sid, n in counted}
    return [{"session_id": r.id, "scenario_id": r.scenario_id, "mode": r.mode, "hints": r.hints_shown,
             "started_at": _aware(r.started_at), "last_at": last.get(r.id) or _aware(r.started_at),
             "replies": replies.get(r.id, 0)} for r in rows]
