"""Where a pool's deals come from when the caller has none: the ingested deals table, else the bundled sample."""

from __future__ import annotations

from knowledge.records import DealRecord
from personas.pools import Pool, pool_deals
from personas.synthesis import PersonaError

_PARSED: dict = {}  # the last table read: (database, row count, newest write) -> parsed deals
SOURCE_DEALS_LIMIT = 5000  # a team with 100k deals: personas come from the most recently stored 5,000


def _table_deals() -> list[DealRecord]:
    """Every stored deal, parsed once per change of the table: a session start used to re-read and re-validate
    the whole table (~80 ms for the 360 sample deals, measured), which 50 trainees starting at once multiply."""
    from sqlalchemy import func
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlmodel import select

    from knowledge.db import get_engine, session
    from knowledge.tables import DealRow

    try:
        with session() as db:
            count, newest = db.exec(select(func.count(), func.max(DealRow.created_at))).one()
            key = (str(get_engine().url), count, str(newest))
            if _PARSED.get("key") == key:
                return _PARSED["deals"]
            if count <= SOURCE_DEALS_LIMIT:
                rows = db.exec(select(DealRow.record_json)).all()
            else:  # bounded memory and parse time per process; oldest first, like the full read
                newest_first = select(DealRow.record_json).order_by(DealRow.created_at.desc(), DealRow.deal_id)
                rows = list(reversed(db.exec(newest_first.limit(SOURCE_DEALS_LIMIT)).all()))
    except (OperationalError, ProgrammingError):  # not migrated yet: behave like an empty table
        return []
    deals = [DealRecord.model_validate_json(raw) for raw in rows]
    _PARSED.update(key=key, deals=deals)
    return deals


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
