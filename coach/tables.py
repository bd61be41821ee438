"""Tables the coach layer owns: users, practice sessions and turns, grades, reviews, progression."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from knowledge.db import Migration, utcnow

ROLES = ("trainee", "mentor", "trainer", "admin")


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True)
    display_name: str = ""
    roles: str = "trainee"  # comma-separated subset of ROLES: a trainer can also be a mentor
    team: str = Field(default="default", index=True)
    mentor_id: int | None = Field(default=None, foreign_key="users.id")
    password_hash: str
    lang: str = "zh"
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def role_set(self) -> set[str]:
        return {r.strip() for r in self.roles.split(",") if r.strip()}


class PracticeSession(SQLModel, table=True):
    __tablename__ = "practice_sessions"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    scenario_id: str = Field(index=True)
    scenario_version: int = 1
    seed: int = 0
    mode: str = "guided"  # guided | standard | drill | preview
    hints_shown: bool = True
    status: str = Field(default="active", index=True)  # active | completed | abandoned
    persona_json: str = "{}"
    state_json: str = "{}"
    score: float | None = None
    outcome: str | None = None
    started_at: datetime = Field(default_factory=utcnow, index=True)
    ended_at: datetime | None = None


class TurnRow(SQLModel, table=True):
    __tablename__ = "turns"
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="practice_sessions.id", index=True)
    idx: int
    speaker: str  # trainee | customer | whisper | mentor (takeover reply) | control (who holds the session)
    text: str
    act: str | None = None
    objection: str | None = None
    latency_ms: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


class TurnGrade(SQLModel, table=True):
    __tablename__ = "turn_grades"
    id: int | None = Field(default=None, primary_key=True)
    turn_id: int = Field(foreign_key="turns.id", index=True, unique=True)
    session_id: int = Field(foreign_key="practice_sessions.id", index=True)
    objection: str | None = None
    score: float
    override_score: float | None = None
    grade_json: str = "{}"  # steps, anti-patterns, evidence, weights, feedback


class MentorReview(SQLModel, table=True):
    __tablename__ = "mentor_reviews"
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="practice_sessions.id", index=True)
    turn_id: int | None = Field(default=None, foreign_key="turns.id")
    reviewer_id: int = Field(foreign_key="users.id")
    override_score: float | None = None
    comment: str
    created_at: datetime = Field(default_factory=utcnow)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str
    target: str
    before: str | None = None
    after: str | None = None
    comment: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class GateProgress(SQLModel, table=True):
    __tablename__ = "gate_progress"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    gate_id: str = Field(index=True)
    status: str = "in_progress"  # in_progress | passed | signed_off
    detail_json: str = "{}"
    updated_at: datetime = Field(default_factory=utcnow)
    signed_off_by: int | None = Field(default=None, foreign_key="users.id")


class PoolUnlock(SQLModel, table=True):
    __tablename__ = "pool_unlocks"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    pool_id: str
    reason: str
    created_at: datetime = Field(default_factory=utcnow)


_V1 = [User, PracticeSession, TurnRow, TurnGrade, MentorReview, AuditLog, GateProgress, PoolUnlock]


def _create_v1(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in _V1])


MIGRATIONS: list[Migration] = [("0201_coach_core", _create_v1)]
