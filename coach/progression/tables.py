"""Tables progression adds: per-team settings (guided sessions, drill threshold) and drill assignments.

Register ``MIGRATIONS`` after ``coach.tables.MIGRATIONS`` in coach/database.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from knowledge.db import Migration, utcnow

DEFAULT_GUIDED_SESSIONS = 10
DEFAULT_DRILL_THRESHOLD = 3


class TeamSetting(SQLModel, table=True):
    """How a team brings new reps along; a team without a row uses the defaults."""

    __tablename__ = "team_settings"
    team: str = Field(primary_key=True)
    guided_sessions: int = DEFAULT_GUIDED_SESSIONS  # first N sessions run guided, hints always on
    drill_threshold: int = DEFAULT_DRILL_THRESHOLD  # failures in a row on one objection type before a drill
    updated_at: datetime = Field(default_factory=utcnow)


class DrillAssignment(SQLModel, table=True):
    """A targeted drill given after repeated failures on one objection type; cleared by passing it."""

    __tablename__ = "drill_assignments"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    objection: str = Field(index=True)
    scenario_id: str
    status: str = Field(default="assigned", index=True)  # assigned | cleared
    reason: str = ""
    assigned_at: datetime = Field(default_factory=utcnow)
    cleared_at: datetime | None = None
    cleared_by_session: int | None = Field(default=None, foreign_key="practice_sessions.id")


def _create(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[TeamSetting.__table__, DrillAssignment.__table__])


MIGRATIONS: list[Migration] = [("0401_progression_team_settings_drills", _create)]
