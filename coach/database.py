"""Bring the database to the current schema: every package's migrations, in one global order."""

from __future__ import annotations

from coach import line_origins as line_origin_tables
from coach import tables as coach_tables
from coach import tokens as token_tables
from coach.live import tables as live_tables
from coach.progression import tables as progression_tables
from knowledge import tables as knowledge_tables
from knowledge.db import apply_migrations, get_engine
from scenarios import tables as scenario_tables


def all_migrations():
    return [*knowledge_tables.MIGRATIONS, *scenario_tables.MIGRATIONS, *coach_tables.MIGRATIONS,
            *live_tables.MIGRATIONS, *progression_tables.MIGRATIONS,
            *token_tables.MIGRATIONS, *line_origin_tables.MIGRATIONS]


def init_db() -> list[str]:
    """Apply pending migrations; safe to call at every start. Returns the names applied now."""
    return apply_migrations(get_engine(), all_migrations())
