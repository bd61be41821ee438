"""Progression: skill gates as data, progress recomputed from stored grades, pool unlocks, guided first
sessions with mentor whispers, and targeted drills after repeated failures."""

from coach.progression.drills import Drill, drill_history, drill_scenario_id, refresh_drills
from coach.progression.gates import Gate, GateError, get_gate, load_gates, parse_gates
from coach.progression.guided import (
    active_guided_sessions,
    guided_left,
    send_whisper,
    session_mode,
    whispers_since,
)
from coach.progression.lifecycle import close_idle_sessions, open_sessions
from coach.progression.progress import (
    GateStatus,
    ScenarioAccess,
    ScenarioLocked,
    check_access,
    record_signoff,
    refresh_progress,
    scenario_access,
    unlocked_pools,
)
from coach.progression.session import after_session, start_session
from coach.progression.teams import TeamSettings, as_user, set_team_settings, team_settings

__all__ = [
    "Drill", "drill_history", "drill_scenario_id", "refresh_drills",
    "Gate", "GateError", "get_gate", "load_gates", "parse_gates",
    "active_guided_sessions", "guided_left", "send_whisper", "session_mode", "whispers_since",
    "close_idle_sessions", "open_sessions",
    "GateStatus", "ScenarioAccess", "ScenarioLocked", "check_access", "record_signoff", "refresh_progress", "scenario_access",
    "unlocked_pools", "after_session", "start_session", "progress_report",
    "TeamSettings", "as_user", "set_team_settings", "team_settings",
]


def progress_report(user) -> dict:
    """Everything `coach progress --json` prints: gates, unlocked pools, drills due, guided sessions left."""
    user = as_user(user)
    statuses = refresh_progress(user)
    return {
        "user": user.username, "team": user.team,
        "gates": [{"id": g.id, "title": g.title, "status": g.status, "signoff": g.signoff,
                   "held": g.held, "review_could_open": g.review_could_open, "unsure_turns": g.unsure_turns, "missing_requires": g.missing_requires, "unlocks": g.unlocks,
                   "criteria": [{"kind": c.kind, "met": c.met, "have": c.have, "need": c.need, "text": c.text,
                                 "items": c.items} for c in g.criteria]} for g in statuses],
        "unlocked_pools": unlocked_pools(user),
        "drills_due": [d.model_dump() for d in refresh_drills(user)],
        "guided_sessions_left": guided_left(user),
        "team_settings": team_settings(user.team).model_dump(),
    }
