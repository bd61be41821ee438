"""First-run set-up: database schema, demo users, bundled sample data. Idempotent."""

from __future__ import annotations

from coach.database import init_db
from coach.users import ensure_demo_users
from knowledge.settings import ensure_home, get_settings


def initialise(progress: bool = True) -> dict:
    """Bring COACH_HOME to a usable state and report what was done."""
    settings = get_settings()
    ensure_home(settings)
    applied = init_db()
    created = ensure_demo_users()
    return {
        "home": str(settings.coach_home),
        "migrations_applied": applied,
        "demo_users_created": created,
    }
