"""Who wrote each stored customer line: the LLM (which model) or the offline customer, and the notices the
trainee saw. Kept beside ``turns`` in its own table (added by its own migration) so a mentor can tell an LLM
line from a fallback, and `coach practice --json` and the transcript export can show it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel, select

from knowledge.db import Migration


class CustomerLineOrigin(SQLModel, table=True):
    __tablename__ = "customer_line_origins"
    id: int | None = Field(default=None, primary_key=True)
    turn_id: int = Field(foreign_key="turns.id", index=True, unique=True)
    session_id: int = Field(foreign_key="practice_sessions.id", index=True)
    source: str = "offline"  # llm | offline
    model: str | None = None
    notices_json: str = "[]"


def _create(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[CustomerLineOrigin.__table__])


MIGRATIONS: list[Migration] = [("0260_customer_line_origins", _create)]


def record(db, turn_id: int, session_id: int, origin) -> None:
    """Add the origin of one customer line to the caller's transaction (``origin`` is a roleplay LineOrigin)."""
    db.add(CustomerLineOrigin(turn_id=turn_id, session_id=session_id, source=origin.source, model=origin.model,
                              notices_json=json.dumps(list(origin.notices), ensure_ascii=False)))


def origins_for(db, session_id: int) -> dict[int, dict[str, Any]]:
    """turn_id -> {"source", "model", "notices"} for a session's customer lines (older sessions have none)."""
    rows = db.exec(select(CustomerLineOrigin).where(CustomerLineOrigin.session_id == session_id))
    return {r.turn_id: {"source": r.source, "model": r.model, "notices": json.loads(r.notices_json or "[]")}
            for r in rows}
