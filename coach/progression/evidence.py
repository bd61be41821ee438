"""What gates are judged on: a trainee's completed sessions and graded turns, read fresh from the store.

Scores are effective scores (a mentor's override wins over the grader's), so recomputing progress after
an override moves it either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlmodel import select

from coach.tables import MentorReview, PracticeSession, TurnGrade, TurnRow
from knowledge.db import session as db_session
from knowledge.taxonomy import NO_OBJECTION

COUNTED_MODES = ("guided", "standard", "drill")  # previews by trainers never count


@dataclass(frozen=True)
class TurnEvidence:
    session_id: int
    turn_id: int
    objection: str | None
    score: float
    steps: frozenset[str]
    hints: bool
    day: date
    at: datetime
    unsure: bool = False  # the grader marked it unsure and no mentor has overridden it (turn or session)


@dataclass
class SessionEvidence:
    id: int
    scenario_id: str
    mode: str
    hints: bool
    status: str
    outcome: str | None
    started_at: datetime
    turns: list[TurnEvidence] = field(default_factory=list)
    score_override: float | None = None

    @property
    def unsure_turns(self) -> list[int]:
        return [t.turn_id for t in self.turns if t.unsure]

    def without_unsure(self) -> SessionEvidence:
        """The same session judged only on the grades nobody doubts (for gates that rest on unsure ones)."""
        return replace(self, turns=[t for t in self.turns if not t.unsure])

    @property
    def day(self) -> date:
        return self.started_at.date()

    @property
    def score(self) -> float:
        """A session-level override wins; otherwise the mean of the effective turn scores."""
        if self.score_override is not None:
            return self.score_override
        return round(sum(t.score for t in self.turns) / len(self.turns), 1) if self.turns else 0.0


def effective(grade: TurnGrade) -> float:
    return grade.override_score if grade.override_score is not None else grade.score


def steps_of(grade_data: dict) -> frozenset[str]:
    """Steps the grader saw; the grade stores either {step: bool} or a list of step names."""
    steps = grade_data.get("steps") or {}
    if isinstance(steps, dict):
        return frozenset(k for k, v in steps.items() if (v.get("hit", v.get("present")) if isinstance(v, dict) else v))
    return frozenset(str(s) for s in steps)


def session_override(db, session_id: int) -> float | None:
    """The newest session-level override (a MentorReview without a turn), if any."""
    row = db.exec(select(MentorReview).where(MentorReview.session_id == session_id, MentorReview.turn_id.is_(None),
                                             MentorReview.override_score.is_not(None))
                  .order_by(MentorReview.id.desc())).first()
    return row.override_score if row else None


def load_sessions(user_id: int, statuses: tuple[str, ...] = ("completed",)) -> list[SessionEvidence]:
    """The user's counted sessions, oldest first, each with its graded trainee turns."""
    with db_session() as db:
        rows = list(db.exec(select(PracticeSession).where(
            PracticeSession.user_id == user_id, PracticeSession.status.in_(statuses),
            PracticeSession.mode.in_(COUNTED_MODES)).order_by(PracticeSession.started_at, PracticeSession.id)))
        if not rows:
            return []
        ids = [r.id for r in rows]
        turns = list(db.exec(select(TurnRow).where(TurnRow.session_id.in_(ids)).order_by(TurnRow.session_id, TurnRow.idx)))
        grades = {g.turn_id: g for g in db.exec(select(TurnGrade).where(TurnGrade.session_id.in_(ids)))}
        overrides = {sid: session_override(db, sid) for sid in ids}
    by_session = {r.id: SessionEvidence(id=r.id, scenario_id=r.scenario_id, mode=r.mode, hints=r.hints_shown,
                                        status=r.status, outcome=r.outcome, started_at=r.started_at,
                                        score_override=overrides[r.id]) for r in rows}
    last_customer_objection: dict[int, str | None] = {}
    for turn in turns:
        if turn.speaker == "customer":
            last_customer_objection[turn.session_id] = turn.objection
            continue
        grade = grades.get(turn.id)
        if turn.speaker != "trainee" or grade is None:
            continue
        data = json.loads(grade.grade_json or "{}")
        objection = grade.objection or data.get("objection") or turn.objection \
            or last_customer_objection.get(turn.session_id)
        if objection == NO_OBJECTION:
            objection = None
        sess = by_session[turn.session_id]
        unsure = bool(data.get("unsure")) and grade.override_score is None and sess.score_override is None
        sess.turns.append(TurnEvidence(session_id=sess.id, turn_id=turn.id, objection=objection,
                                       score=effective(grade), steps=steps_of(data), hints=sess.hints,
                                       day=sess.day, at=turn.created_at, unsure=unsure))
    return list(by_session.values())
