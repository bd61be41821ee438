"""The end-of-session scorecard, computed from what is stored (so mentor overrides are reflected)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from coach.roleplay.state import CustomerState
from coach.tables import PracticeSession, TurnGrade, TurnRow
from knowledge.db import session as db_session


def session_scorecard(session_id: int) -> dict[str, Any]:
    with db_session() as db:
        row = db.get(PracticeSession, session_id)
        turns = list(db.exec(select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.idx)))
        grades = {g.turn_id: g for g in db.exec(select(TurnGrade).where(TurnGrade.session_id == session_id))}
    state = CustomerState.model_validate_json(row.state_json)
    scored = []
    last_customer = ""
    for turn in turns:
        grade = grades.get(turn.id)
        if turn.speaker == "customer":
            last_customer = turn.text
        if turn.speaker == "trainee" and grade is not None:
            data = json.loads(grade.grade_json)
            score = grade.override_score if grade.override_score is not None else grade.score
            scored.append({"customer": last_customer, "reply": turn.text, "grade": data, "score": score})
    card: dict[str, Any] = {}
    if scored:
        from coach.grading import build_scorecard
        from coach.grading.models import Grade, ScoredTurn

        built = build_scorecard([ScoredTurn(customer=s["customer"], reply=s["reply"],
                                            grade=Grade.model_validate(s["grade"])) for s in scored])
        card.update(built.model_dump(mode="json"))
        card["follow_up_atoms"] = card.pop("follow_up", {})
        card["practice_next"] = card.pop("practise_next", [])
        card["grader_objections_handled"] = card.pop("objections_handled", 0)
    trainee_chars = sum(len(t.text) for t in turns if t.speaker == "trainee")
    customer_chars = sum(len(t.text) for t in turns if t.speaker == "customer")
    card.setdefault("questions_asked", sum((s["grade"].get("asks_question") or 0) >= 0.5 for s in scored))
    card.setdefault("talk_ratio", round(trainee_chars / max(1, trainee_chars + customer_chars), 2))
    card["score"] = round(sum(s["score"] for s in scored) / len(scored), 1) if scored else 0.0
    card["outcome"] = row.outcome or state.outcome
    card["objections_raised"] = state.raised
    card["objections_resolved"] = state.resolved
    card["objections_handled"] = f"{len(state.resolved)}/{len(state.raised)}"
    card["turns"] = len(scored)
    return card
