"""Tables the knowledge layer owns: ingested (already anonymized) deals and ingest progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel

from knowledge.db import Migration, utcnow


class DealRow(SQLModel, table=True):
    """An anonymized deal, stored as its canonical JSON; ``content_hash`` makes re-ingest a no-op."""

    __tablename__ = "deals"
    deal_id: str = Field(primary_key=True)
    content_hash: str = Field(index=True)
    source: str = Field(default="", index=True)
    lang: str = "zh"
    industry: str = Field(default="", index=True)
    segment: str = Field(default="", index=True)
    outcome: str = Field(default="", index=True)
    record_json: str
    created_at: datetime = Field(default_factory=utcnow)


class IngestRun(SQLModel, table=True):
    """Progress of one ingest of one file, so an interrupted run resumes where it stopped."""

    __tablename__ = "ingest_runs"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    file_hash: str = Field(index=True)
    records_done: int = 0
    status: str = "running"  # running | done
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


def _create_v1(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[DealRow.__table__, IngestRun.__table__])


MIGRATIONS: list[Migration] = [("0001_knowledge_deals", _create_v1)]
