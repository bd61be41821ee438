"""Targeted drills: K failed turns in a row on one objection type (per team, default 3) assign that
type's short drill scenario; a drill session that handles the type at 75+ clears it."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import select

from coach.progression.evidence import SessionEvidence, load_sessions
from coach.progression.tables import DrillAssignment
from coach.progression.teams import as_user, team_settings
from coach.tables import AuditLog, User
from knowledge.db import session as db_session
from knowledge.db import utcnow

FAIL_BELOW = 60
PASS_AT = 75


class Drill(BaseModel):
    id: int
    objection: str
    scenario_id: str
    status: str
    reason: str
    assigned_at: str
    cleared_at: str | None = None
    study: str = ""


def drill_scenario_id(objection: str, lang: str = "zh") -> str:
    """drill-<type> (Chinese) or drill-<type>-en for English-speaking reps."""
    return f"drill-{objection}-en" if lang == "en" else f"drill-{objection}"


def drill_study(scenario_id: str) -> str:
    """The playbook micro-flow the drill asks the rep to study (kept in the drill's description)."""
    from scenarios import ScenarioNotFound, get_scenario

    try:
        return get_scenario(scenario_id).description
    except ScenarioNotFound:
        return ""


def _view(row: DrillAssignment) -> Drill:
    return Drill(id=row.id, objection=row.objection, scenario_id=row.scenario_id, status=row.status, reason=row.reason,
                 assigned_at=row.assigned_at.isoformat(timespec="seconds"),
                 cleared_at=row.cleared_at.isoformat(timespec="seconds") if row.cleared_at else None,
                 study=drill_study(row.scenario_id))


def fail_streaks(sessions: list[SessionEvidence], since: dict[str, object] | None = None) -> dict[str, int]:
    """Current run of failed turns (< FAIL_BELOW) per objection type, counting turns after ``since[type]``.

    A failing grade the grader marked unsure (and no mentor overrode) neither extends nor breaks the run: on
    real agents' replies such grades are far too low two times in three and never far too high
    (``coach eval understanding``, ``marked_too_low``), so a drill should not rest on them.
    """
    since = since or {}
    turns = sorted((t for s in sessions for t in s.turns if t.objection), key=lambda t: (t.at, t.turn_id))
    streak: dict[str, int] = {}
    for turn in turns:
        start = since.get(turn.objection)
        if start is not None and turn.at <= start or turn.unsure and turn.score < FAIL_BELOW:
            continue
        streak[turn.objection] = streak.get(turn.objection, 0) + 1 if turn.score < FAIL_BELOW else 0
    return streak


def refresh_drills(user: User | str | int) -> list[Drill]:
    """Clear passed drills, assign new ones; returns the drills still due."""
    user = as_user(user)
    threshold = team_settings(user.team).drill_threshold
    sessions = load_sessions(user.id)
    with db_session() as db:
        rows = list(db.exec(select(DrillAssignment).where(DrillAssignment.user_id == user.id)
                            .order_by(DrillAssignment.assigned_at)))
        for row in rows:
            if row.status != "assigned":
                continue
            passing = next((s for s in sessions if s.scenario_id == row.scenario_id and s.started_at >= row.assigned_at
                            and any(t.objection == row.objection and t.score >= PASS_AT for t in s.turns)), None)
            if passing is not None:
                row.status, row.cleared_at, row.cleared_by_session = "cleared", utcnow(), passing.id
                db.add(row)
                db.add(AuditLog(action="drill_cleared", target=f"user:{user.id}/drill:{row.objection}",
                                before="assigned", after="cleared", comment=f"session {passing.id}"))
        latest = {r.objection: r.assigned_at for r in rows}  # a new drill needs K new failures
        open_types = {r.objection for r in rows if r.status == "assigned"}
        for objection, count in sorted(fail_streaks(sessions, latest).items()):
            if count >= threshold and objection not in open_types:
                reason = f"{count} failed replies in a row on {objection} (score < {FAIL_BELOW}); " \
                         f"连续 {count} 次 {objection} 异议得分低于 {FAIL_BELOW}"
                row = DrillAssignment(user_id=user.id, objection=objection,
                                      scenario_id=drill_scenario_id(objection, user.lang), reason=reason)
                db.add(row)
                db.add(AuditLog(action="drill_assigned", target=f"user:{user.id}/drill:{objection}",
                                after=row.scenario_id, comment=reason))
        db.commit()
        rows = list(db.exec(select(DrillAssignment).where(DrillAssignment.user_id == user.id)
                            .order_by(DrillAssignment.assigned_at)))
    return [_view(r) for r in rows if r.status == "assigned"]


def drill_history(user: User | str | int) -> list[Drill]:
    """Every drill the user was given, cleared ones included (for the mentor)."""
    user = as_user(user)
    with db_session() as db:
        rows = db.exec(select(DrillAssignment).where(DrillAssignment.user_id == user.id)
                       .order_by(DrillAssignment.assigned_at))
        return [_view(r) for r in rows]
