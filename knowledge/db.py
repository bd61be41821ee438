"""The relational store: one SQLAlchemy engine (SQLite under COACH_HOME, or PostgreSQL via DATABASE_URL)
and ordered, named migrations recorded in a table and applied at start.

Each package contributes its own migrations (``knowledge.tables.MIGRATIONS``,
``coach.tables.MIGRATIONS``); names are prefixed so their order is global and append-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Engine, event, text
from sqlmodel import Session, create_engine

from knowledge.settings import ensure_home, get_settings

Migration = tuple[str, Callable[[Engine], None]]


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: concurrent readers, durable writes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine() -> Engine:
    """The engine for the configured database; for SQLite, COACH_HOME is created and checked once, when the
    engine is first built (not on every session: that probe file cost a write and an unlink per query)."""
    settings = get_settings()
    if settings.database_url is None:
        return _sqlite_engine_for(settings.db_url, str(settings.coach_home))
    return _engine_for(settings.db_url)


@lru_cache(maxsize=8)
def _sqlite_engine_for(url: str, home: str) -> Engine:
    ensure_home(get_settings())  # raises SetupError (not cached) when the folder is not writable
    return _engine_for(url)


def reset_engines() -> None:
    """Forget cached engines (tests and benchmarks that switch COACH_HOME or DATABASE_URL)."""
    _engine_for.cache_clear()
    _sqlite_engine_for.cache_clear()


def session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def utcnow() -> datetime:
    """Timezone-aware UTC now (sqlmodel rejects naive datetimes on insert)."""
    return datetime.now(UTC)


def apply_migrations(engine: Engine, migrations: Iterable[Migration]) -> list[str]:
    """Apply, in order, each migration not yet recorded; return the names applied now."""
    with engine.begin() as conn:
        conn.execute(text(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(200) PRIMARY KEY, applied_at VARCHAR(40))"
        ))
        done = {row[0] for row in conn.execute(text("SELECT name FROM schema_migrations"))}
    applied = []
    for name, migrate in migrations:
        if name in done:
            continue
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO schema_migrations (name, applied_at) VALUES (:n, :t)"),
                {"n": name, "t": utcnow().isoformat()},
            )
        applied.append(name)
    return applied
