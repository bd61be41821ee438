"""First-run set-up: database schema, shipped scenarios, the bundled sample deals (anonymized, tagged,
indexed) and, only when asked (``coach init --demo``), the README's demo users. Idempotent: a second run adds
nothing and takes seconds. ``coach serve`` runs this without ``demo``, so it never creates a user."""

from __future__ import annotations

from importlib import resources

from coach.database import init_db
from coach.users import create_demo_users, list_users
from knowledge.settings import ensure_home, get_settings


def sample_deals_path():
    return resources.files("knowledge.data") / "sample_deals.jsonl"


def initialise(progress: bool = True, with_sample: bool = True, demo: bool = False) -> dict:
    """Bring COACH_HOME to a usable state and report what was done; ``demo`` adds the README demo users
    (with their published passwords: for a laptop, never for a team server)."""
    from scenarios import sync_library

    settings = get_settings()
    ensure_home(settings)
    applied = init_db()
    created = create_demo_users() if demo else []
    published = sync_library()
    summary = {
        "home": str(settings.coach_home),
        "migrations_applied": applied,
        "demo_users_created": created,
        "users": len(list_users()),
        "scenarios_published": [f"{v.scenario_id} v{v.version}" for v in published],
    }
    if with_sample:
        from knowledge.ingest import ingest_path

        with resources.as_file(sample_deals_path()) as path:
            report = ingest_path(path, fmt="jsonl", progress=progress)
        summary["sample_deals"] = {"new": report.new, "skipped": report.skipped_duplicates, "turns": report.turns,
                                   "seconds": round(report.seconds, 1)}
    return summary
