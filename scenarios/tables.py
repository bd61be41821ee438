"""Published scenario versions: editing a published scenario stores a new version; old ones stay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, UniqueConstraint
from sqlmodel import Field, SQLModel

from knowledge.db import Migration, utcnow


class ScenarioVersion(SQLModel, table=True):
    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    scenario_id: str = Field(index=True)
    version: int
    title: str = ""
    yaml_text: str
    content_hash: str
    published_by: str = "system"
    published_at: datetime = Field(default_factory=utcnow)


def _create_v1(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[ScenarioVersion.__table__])


MIGRATIONS: list[Migration] = [("0101_scenario_versions", _create_v1)]
