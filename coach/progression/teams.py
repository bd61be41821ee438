"""Per-team progression settings (guided sessions, drill threshold), stored in team_settings."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import select

from coach.progression.tables import DEFAULT_DRILL_THRESHOLD, DEFAULT_GUIDED_SESSIONS, TeamSetting
from coach.tables import User
from knowledge.db import session as db_session
from knowledge.db import utcnow


class TeamSettings(BaseModel):
    team: str
    guided_sessions: int = Field(default=DEFAULT_GUIDED_SESSIONS, ge=0, le=1000)
    drill_threshold: int = Field(default=DEFAULT_DRILL_THRESHOLD, ge=1, le=100)


def as_user(user: User | str | int) -> User:
    """Accept a User, a username or an id (CLI and UI pass different ones)."""
    if isinstance(user, User):
        return user
    with db_session() as db:
        found = db.get(User, user) if isinstance(user, int) else \
            db.exec(select(User).where(User.username == user)).first()
    if found is None:
        raise LookupError(f"user {user!r} does not exist; see `coach users list`")
    return found


def team_settings(team: str) -> TeamSettings:
    with db_session() as db:
        row = db.get(TeamSetting, team)
    if row is None:
        return TeamSettings(team=team)
    return TeamSettings(team=team, guided_sessions=row.guided_sessions, drill_threshold=row.drill_threshold)


def set_team_settings(team: str, guided_sessions: int | None = None, drill_threshold: int | None = None) -> TeamSettings:
    """Change a team's settings; values are validated (guided 0-1000, threshold 1-100)."""
    current = team_settings(team)
    wanted = TeamSettings(team=team,
                          guided_sessions=current.guided_sessions if guided_sessions is None else guided_sessions,
                          drill_threshold=current.drill_threshold if drill_threshold is None else drill_threshold)
    with db_session() as db:
        row = db.get(TeamSetting, team) or TeamSetting(team=team)
        row.guided_sessions, row.drill_threshold, row.updated_at = wanted.guided_sessions, wanted.drill_threshold, utcnow()
        db.add(row)
        db.commit()
    return wanted
