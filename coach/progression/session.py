"""Start a practice session the way progression wants it: access checked, guided/standard/drill mode
and hints decided here, so the UI and CLI do not each re-implement the rules."""

from __future__ import annotations

from coach.progression.drills import refresh_drills
from coach.progression.guided import session_mode
from coach.progression.progress import check_access
from coach.progression.teams import as_user
from coach.tables import User


def start_session(practice, user: User | str | int, scenario_id: str, seed: int | None = None,
                  want_hints: bool | None = None, lang: str | None = None):
    """Check the scenario is unlocked (or an assigned drill), pick mode and hints, start it on ``practice``
    (a coach.practice.PracticeService). Raises ScenarioLocked (a PermissionError) saying, in ``lang``, what
    unlocks a locked scenario."""
    user = as_user(user)
    drills = {d.scenario_id for d in refresh_drills(user)}
    if scenario_id not in drills:
        check_access(user, scenario_id, lang)
    mode, hints = session_mode(user, want_hints)
    if scenario_id in drills and mode != "guided":
        mode = "drill"
    return practice.start(user.id, scenario_id, seed=seed, mode=mode, hints=hints)


def after_session(user: User | str | int) -> dict:
    """Call when a session ends: recompute gates and drills; returns what changed for the trainee to see."""
    from coach.progression.progress import gate_status_text, refresh_progress

    statuses = refresh_progress(user)
    shown = {"id", "title", "status", "held", "review_could_open", "unsure_turns"}
    return {"gates": [{**g.model_dump(include=shown),
                       "note": {"zh": gate_status_text(g, True), "en": gate_status_text(g, False)}
                       if g.held or g.review_could_open else {}} for g in statuses],
            "drills": [d.model_dump() for d in refresh_drills(user)]}
