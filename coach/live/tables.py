"""The live-assist table: debriefs saved on a rep's record. Its migration joins coach.database's list."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel, select

from knowledge.db import Migration, apply_migrations, get_engine, session, utcnow


class LiveDebriefRow(SQLModel, table=True):
    __tablename__ = "live_debriefs"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    source: str = ""  # file name or "live page"
    lang: str = "zh"
    objections_raised: int = 0
    objections_handled: int = 0
    signals: str = ""  # comma-separated signal ids, for quick team queries
    debrief_json: str = "{}"
    created_at: datetime = Field(default_factory=utcnow, index=True)


def _create(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[LiveDebriefRow.__table__])


MIGRATIONS: list[Migration] = [("0301_live_debriefs", _create)]


def ensure_tables() -> None:
    """Apply this module's migration (recorded by name, so coach.database applying it too is harmless)."""
    apply_migrations(get_engine(), MIGRATIONS)


def save_debrief(user_id: int, debrief, source: str = "") -> int:
    """Store a Debrief on the rep's record; returns the row id."""
    row = LiveDebriefRow(
        user_id=user_id, source=source[:200], lang=debrief.lang,
        objections_raised=len(debrief.objections),
        objections_handled=sum(o.handled for o in debrief.objections),
        signals=",".join(s.signal for s in debrief.signals),
        debrief_json=debrief.model_dump_json(),
    )
    ensure_tables()
    with session() as db:
        db.add(row)
        db.commit()
        db.refresh(row)
    return int(row.id)


def list_debriefs(user_id: int) -> list[dict]:
    """The rep's saved debriefs, newest first: id, created_at, source and the debrief as a dict."""
    ensure_tables()
    with session() as db:
        rows = db.exec(select(LiveDebriefRow).where(LiveDebriefRow.user_id == user_id)
                       .order_by(LiveDebriefRow.created_at.desc(), LiveDebriefRow.id.desc())).all()
    return [{"id": r.id, "created_at": r.created_at.isoformat(), "source": r.source,
             "debrief": json.loads(r.debrief_json)} for r in rows]
