"""Where a pool's deals come from when the caller has none: the ingested deals table, else the bundled sample."""

from __future__ import annotations

from knowledge.records import DealRecord
from personas.pools import Pool, pool_deals
from personas.synthesis import PersonaError


def _table_deals() -> list[DealRecord]:
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlmodel import select

    from knowledge.db import session
    from knowledge.tables import DealRow

    try:
        with session() as db:
            rows = db.exec(select(DealRow)).all()
    except (OperationalError, ProgrammingError):  # not migrated yet: behave like an empty table
        return []
    return [DealRecord.model_validate_json(row.record_json) for row in rows]


def _sample_deals() -> list[DealRecord]:
    try:
        from knowledge.sample import load_sample_deals
    except ImportError:
        return []
    return list(load_sample_deals())


def load_pool_deals(pool: str | Pool) -> list[DealRecord]:
    """The pool's deals from the database, or from the bundled sample corpus when the table is empty."""
    deals = _table_deals() or _sample_deals()
    if not deals:
        raise PersonaError("no deals available: run `coach init` to load the sample deals, or ingest your own")
    return pool_deals(pool, deals)
