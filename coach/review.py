"""Mentor review: who may see which sessions, the filtered session list, transcripts with grades and
evidence, score overrides (audited, comment required), gate sign-off, team view and exports.

Access: a trainee sees only their own sessions; a mentor sees the trainees assigned to them or in their
team; an admin sees everyone. Only mentors and admins change scores; a trainer who is not also a mentor
cannot. Every refusal is a PermissionError that says why.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from coach import line_origins
from coach.progression.evidence import effective, session_override
from coach.progression.teams import as_user
from coach.tables import AuditLog, MentorReview, PracticeSession, TurnGrade, TurnRow, User
from knowledge.db import session as db_session

REVIEWERS = {"mentor", "admin"}
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


class ExportError(RuntimeError):
    """An export that cannot be produced here (e.g. no CJK font for the PDF); the message says what to do."""


# --- access -------------------------------------------------------------------------------------------
def visible_user_ids(viewer: User | str | int) -> set[int] | None:
    """Ids of users whose sessions ``viewer`` may see; None means everyone (admin)."""
    viewer = as_user(viewer)
    roles = viewer.role_set
    if "admin" in roles:
        return None
    ids = {viewer.id}
    if "mentor" in roles:
        with db_session() as db:
            for user in db.exec(select(User).where((User.mentor_id == viewer.id) | (User.team == viewer.team))):
                if user.mentor_id == viewer.id or "trainee" in user.role_set:
                    ids.add(user.id)
    return ids


def can_view_session(viewer: User | str | int, row: PracticeSession) -> bool:
    ids = visible_user_ids(viewer)
    return ids is None or row.user_id in ids


def _session_for(viewer: User, session_id: int) -> PracticeSession:
    with db_session() as db:
        row = db.get(PracticeSession, session_id)
    if row is None:
        raise LookupError(f"session {session_id} does not exist")
    if not can_view_session(viewer, row):
        raise PermissionError(f"{viewer.username} may not see session {session_id}: it belongs to a trainee "
                              "who is not theirs (mentors see their own trainees and team only)")
    return row


def _require_reviewer(viewer: User) -> None:
    if not REVIEWERS & viewer.role_set:
        what = "a trainer" if "trainer" in viewer.role_set else "a trainee"
        raise PermissionError(f"{viewer.username} is {what}, not a mentor: only mentors and admins can change "
                              "grades or sign off gates")


def _trainee_for(viewer: User, trainee: User | str | int) -> User:
    user = as_user(trainee)
    ids = visible_user_ids(viewer)
    if ids is not None and user.id not in ids:
        raise PermissionError(f"{viewer.username} may not see {user.username}: not their trainee or team member")
    return user


# --- reading ------------------------------------------------------------------------------------------
def _session_scores(db, ids: list[int]) -> tuple[dict[int, float | None], dict[int, set[str]]]:
    grades = list(db.exec(select(TurnGrade).where(TurnGrade.session_id.in_(ids)))) if ids else []
    per: dict[int, list[float]] = {}
    objections: dict[int, set[str]] = {}
    for grade in grades:
        per.setdefault(grade.session_id, []).append(effective(grade))
        data = json.loads(grade.grade_json or "{}")
        kind = grade.objection or data.get("objection")
        if kind and kind != "none":
            objections.setdefault(grade.session_id, set()).add(kind)
    scores: dict[int, float | None] = {}
    for sid in ids:
        override = session_override(db, sid)
        values = per.get(sid)
        scores[sid] = override if override is not None else (round(sum(values) / len(values), 1) if values else None)
    return scores, objections


def _unsure_turns(db, ids: list[int]) -> dict[int, int]:
    """Per session: replies whose grade the grader marked unsure (``Grade.unsure``) and no mentor has overridden."""
    if not ids:
        return {}
    rows = db.exec(select(TurnGrade.session_id).where(
        TurnGrade.session_id.in_(ids), TurnGrade.override_score.is_(None),
        TurnGrade.grade_json.like('%"unsure": true%') | TurnGrade.grade_json.like('%"unsure":true%')))
    counts: dict[int, int] = {}
    for sid in rows:
        counts[sid] = counts.get(sid, 0) + 1
    return counts


def _as_datetime(value: date | datetime | str | None, end: bool = False) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"date {value!r} is not YYYY-MM-DD (or an ISO date-time)") from exc
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.max.time() if end else datetime.min.time())
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # dates and naive times are UTC


def list_sessions(viewer: User | str | int, trainee: User | str | int | None = None, scenario: str | None = None,
                  min_score: float | None = None, max_score: float | None = None,
                  since: date | datetime | str | None = None, until: date | datetime | str | None = None,
                  objection: str | None = None, status: str | None = None,
                  unsure_only: bool = False) -> list[dict[str, Any]]:
    """Sessions ``viewer`` may see, newest first, filtered; each row carries the effective score and ``unsure``,
    the replies whose grade the grader was unsure of and no mentor has overridden yet (``unsure_only``: only
    sessions with one). Sessions idle past COACH_PRACTICE_IDLE_MINUTES are closed as abandoned first, so none
    stays "active"."""
    from coach.progression.lifecycle import close_idle_sessions

    close_idle_sessions()
    viewer = as_user(viewer)
    ids = visible_user_ids(viewer)
    query = select(PracticeSession, User).join(User, User.id == PracticeSession.user_id)
    if trainee is not None and trainee != "":
        query = query.where(PracticeSession.user_id == _trainee_for(viewer, trainee).id)
    elif ids is not None:
        query = query.where(PracticeSession.user_id.in_(ids))
    if scenario:
        query = query.where(PracticeSession.scenario_id == scenario)
    if status:
        query = query.where(PracticeSession.status == status)
    start, end = _as_datetime(since), _as_datetime(until, end=True)
    if start:
        query = query.where(PracticeSession.started_at >= start)
    if end:
        query = query.where(PracticeSession.started_at <= end)
    with db_session() as db:
        rows = list(db.exec(query.order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())))
        scores, objections = _session_scores(db, [s.id for s, _ in rows])
        unsure = _unsure_turns(db, [s.id for s, _ in rows])
    out = []
    for sess, user in rows:
        score = scores[sess.id]
        if min_score is not None and (score is None or score < min_score):
            continue
        if max_score is not None and (score is None or score > max_score):
            continue
        if objection and objection not in objections.get(sess.id, set()):
            continue
        if unsure_only and not unsure.get(sess.id):
            continue
        out.append({"session_id": sess.id, "trainee": user.username, "name": user.display_name,
                    "scenario_id": sess.scenario_id, "mode": sess.mode, "hints": sess.hints_shown,
                    "status": sess.status, "score": score, "unsure": unsure.get(sess.id, 0), "outcome": sess.outcome,
                    "objections": sorted(objections.get(sess.id, set())),
                    "started_at": sess.started_at.isoformat(timespec="seconds")})
    return out


def session_detail(viewer: User | str | int, session_id: int) -> dict[str, Any]:
    """The transcript with per-turn grades and evidence, whispers, and the review history."""
    viewer = as_user(viewer)
    row = _session_for(viewer, session_id)
    with db_session() as db:
        user = db.get(User, row.user_id)
        turns = list(db.exec(select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.idx, TurnRow.id)))
        grades = {g.turn_id: g for g in db.exec(select(TurnGrade).where(TurnGrade.session_id == session_id))}
        reviews = list(db.exec(select(MentorReview, User).join(User, User.id == MentorReview.reviewer_id)
                               .where(MentorReview.session_id == session_id).order_by(MentorReview.id)))
        audits = list(db.exec(select(AuditLog).where(
            AuditLog.action.in_(("override_turn", "override_session")),
            (AuditLog.target == f"session:{session_id}") | AuditLog.target.like(f"session:{session_id}/%"))
            .order_by(AuditLog.id)))
        scores, _ = _session_scores(db, [session_id])
        origins = line_origins.origins_for(db, session_id)
    items = []
    numbers: dict[int, int] = {}  # turn id -> the trainee reply's number in the session (1, 2, ...)
    for turn in turns:
        item: dict[str, Any] = {"turn_id": turn.id, "idx": turn.idx, "speaker": turn.speaker, "text": turn.text,
                                "objection": turn.objection, "act": turn.act}
        if turn.speaker == "trainee":
            numbers[turn.id] = item["no"] = len(numbers) + 1
        if turn.id in origins:  # llm (which model) or offline, and the notices the trainee saw
            item["origin"] = origins[turn.id]
        grade = grades.get(turn.id)
        if grade is not None:
            data = json.loads(grade.grade_json or "{}")
            item.update(objection=grade.objection or data.get("objection") or turn.objection, grade=data,
                        score=effective(grade), original_score=grade.score, override_score=grade.override_score,
                        unsure=bool(data.get("unsure")) and grade.override_score is None)  # as _unsure_turns counts
        items.append(item)
    return {"session_id": row.id, "trainee": user.username, "name": user.display_name,
            "scenario_id": row.scenario_id, "scenario_version": row.scenario_version, "seed": row.seed,
            "mode": row.mode, "hints": row.hints_shown, "status": row.status, "outcome": row.outcome,
            "score": scores[row.id], "started_at": row.started_at.isoformat(timespec="seconds"), "turns": items,
            "reviews": [{"reviewer": u.username, "reviewer_name": u.display_name, "turn_id": r.turn_id,
                         "turn_no": numbers.get(r.turn_id), "before": before, "override_score": r.override_score,
                         "comment": r.comment, "at": r.created_at.isoformat(timespec="seconds")}
                        for (r, u), before in zip(reviews, _scores_before(reviews, audits), strict=True)]}


def _scores_before(reviews: list, audits: list[AuditLog]) -> list[float | None]:
    """The score each review replaced, from the audit entry written with it (same target, actor, comment)."""
    unused = list(audits)
    out: list[float | None] = []
    for review, _ in reviews:
        target = f"/turn:{review.turn_id}" if review.turn_id is not None else ""
        match = next((a for a in unused if a.actor_id == review.reviewer_id and a.comment == review.comment
                      and a.target.endswith(target or f"session:{review.session_id}")), None)
        if match is None:
            out.append(None)
            continue
        unused.remove(match)
        before = json.loads(match.before or "{}")
        value = before.get("override_score") if before.get("override_score") is not None else before.get("score")
        out.append(value)
    return out


# --- changing -----------------------------------------------------------------------------------------
def _check_override(score: float, comment: str) -> tuple[float, str]:
    comment = (comment or "").strip()
    if not comment:
        raise ValueError("a comment is required: say why the score changes (it is kept in the audit log)")
    try:
        score = float(score)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"score {score!r} is not a number; give 0-100") from exc
    if not 0 <= score <= 100:
        raise ValueError(f"score {score:g} is out of range; give 0-100")
    return round(score, 1), comment


def _rescore(db, session_id: int) -> float | None:
    row = db.get(PracticeSession, session_id)
    scores, _ = _session_scores(db, [session_id])
    if row.status == "completed":
        row.score = scores[session_id]
        db.add(row)
    return scores[session_id]


def _after_change(trainee_id: int, actor_id: int) -> list[dict]:
    from coach.progression import refresh_drills, refresh_progress

    statuses = refresh_progress(trainee_id, actor_id=actor_id)
    refresh_drills(trainee_id)
    return [{"id": g.id, "status": g.status} for g in statuses]


def override_turn(viewer: User | str | int, turn_id: int, score: float, comment: str) -> dict[str, Any]:
    """Replace one turn's score; audited with before/after, and gate progress is recomputed."""
    viewer = as_user(viewer)
    _require_reviewer(viewer)
    score, comment = _check_override(score, comment)
    with db_session() as db:
        grade = db.exec(select(TurnGrade).where(TurnGrade.turn_id == turn_id)).first()
        if grade is None:
            raise LookupError(f"turn {turn_id} has no grade (only trainee replies are graded)")
        row = _session_for(viewer, grade.session_id)
        before = {"score": grade.score, "override_score": grade.override_score}
        grade.override_score = score
        db.add(grade)
        db.add(MentorReview(session_id=row.id, turn_id=turn_id, reviewer_id=viewer.id, override_score=score,
                            comment=comment))
        db.add(AuditLog(actor_id=viewer.id, action="override_turn", target=f"session:{row.id}/turn:{turn_id}",
                        before=json.dumps(before), after=json.dumps({"override_score": score}), comment=comment))
        db.flush()
        session_score = _rescore(db, row.id)
        db.commit()
    return {"turn_id": turn_id, "score": score, "session_score": session_score,
            "gates": _after_change(row.user_id, viewer.id)}


def override_session(viewer: User | str | int, session_id: int, score: float, comment: str) -> dict[str, Any]:
    """Set a whole session's score (turn scores stay); audited, and gate progress is recomputed."""
    viewer = as_user(viewer)
    _require_reviewer(viewer)
    score, comment = _check_override(score, comment)
    row = _session_for(viewer, session_id)
    with db_session() as db:
        before, _ = _session_scores(db, [session_id])
        db.add(MentorReview(session_id=session_id, turn_id=None, reviewer_id=viewer.id, override_score=score,
                            comment=comment))
        db.add(AuditLog(actor_id=viewer.id, action="override_session", target=f"session:{session_id}",
                        before=json.dumps({"score": before[session_id]}), after=json.dumps({"score": score}),
                        comment=comment))
        db.flush()
        session_score = _rescore(db, session_id)
        db.commit()
    return {"session_id": session_id, "session_score": session_score, "gates": _after_change(row.user_id, viewer.id)}


def sign_off_gate(viewer: User | str | int, trainee: User | str | int, gate_id: str) -> dict[str, Any]:
    """A mentor confirms a gate whose criteria are met; it then opens and its pools unlock."""
    from coach.progression import record_signoff

    viewer = as_user(viewer)
    _require_reviewer(viewer)
    user = _trainee_for(viewer, trainee)
    if user.id == viewer.id:
        raise PermissionError("mentors cannot sign off their own gates; ask another mentor")
    status = record_signoff(user, gate_id, viewer.id)
    return {"trainee": user.username, "gate": gate_id, "status": status.status}


def audit_trail(viewer: User | str | int, session_id: int) -> list[dict[str, Any]]:
    """Audit entries about one session (who/when/before/after/comment)."""
    viewer = as_user(viewer)
    _session_for(viewer, session_id)
    with db_session() as db:
        rows = db.exec(select(AuditLog).where(AuditLog.target.like(f"session:{session_id}%")).order_by(AuditLog.id))
        return [{"actor_id": r.actor_id, "action": r.action, "target": r.target, "before": r.before, "after": r.after,
                 "comment": r.comment, "at": r.created_at.isoformat(timespec="seconds")} for r in rows]


# --- team view ------------------------------------------------------------------------------------------
def team_overview(viewer: User | str | int) -> dict[str, Any]:
    """Per trainee: score trend, gates passed, weakest objection types, unsure grades no mentor has overridden
    yet; and the team's weakest types."""
    from coach.progression import refresh_progress
    from coach.progression.evidence import load_sessions

    viewer = as_user(viewer)
    ids = visible_user_ids(viewer)
    with db_session() as db:
        query = select(User).order_by(User.id)
        users = [u for u in db.exec(query) if (ids is None or u.id in ids) and "trainee" in u.role_set]
    trainees, team_scores = [], {}
    owner: dict[int, str] = {}  # session id -> trainee, for one count of unsure grades over all of them
    for user in users:
        sessions = load_sessions(user.id)
        by_type: dict[str, list[float]] = {}
        for sess in sessions:
            for turn in sess.turns:
                if turn.objection:
                    by_type.setdefault(turn.objection, []).append(turn.score)
                    team_scores.setdefault(turn.objection, []).append(turn.score)
        means = sorted(((k, round(sum(v) / len(v), 1)) for k, v in by_type.items()), key=lambda kv: kv[1])
        gates = refresh_progress(user)
        owner.update((s.id, user.username) for s in sessions)
        trainees.append({"trainee": user.username, "name": user.display_name, "team": user.team,
                         "sessions": len(sessions), "unsure": 0,
                         "trend": [{"session_id": s.id, "date": s.started_at.isoformat(timespec="seconds"),
                                    "score": s.score} for s in sessions],
                         "gates_passed": [g.id for g in gates if g.open],
                         "awaiting_signoff": [g.id for g in gates if g.status == "awaiting_signoff"],
                         "review_could_open": [g.id for g in gates if g.review_could_open],
                         "weakest": [{"objection": k, "mean": m, "turns": len(by_type[k])} for k, m in means[:3]]})
    with db_session() as db:
        for sid, count in _unsure_turns(db, list(owner)).items():
            next(t for t in trainees if t["trainee"] == owner[sid])["unsure"] += count
    team = sorted(({"objection": k, "mean": round(sum(v) / len(v), 1), "turns": len(v)}
                   for k, v in team_scores.items()), key=lambda d: d["mean"])
    return {"trainees": trainees, "weakest_objections": team}


# --- exports --------------------------------------------------------------------------------------------
def session_markdown(viewer: User | str | int, session_id: int) -> str:
    """A session as Markdown: header, each turn with its score, steps, anti-patterns and evidence, reviews."""
    detail = session_detail(viewer, session_id)
    lines = [f"# Session {detail['session_id']} · {detail['scenario_id']}", "",
             f"- 学员 Trainee: {detail['name']} ({detail['trainee']})",
             f"- 时间 Started: {detail['started_at']} · 模式 Mode: {detail['mode']} · 提示 Hints: {detail['hints']}",
             f"- 得分 Score: {detail['score']} · 结果 Outcome: {detail['outcome']}", ""]
    for turn in detail["turns"]:
        who = {"customer": "客户 Customer", "trainee": "学员 Trainee", "whisper": "导师悄悄话 Whisper"}.get(
            turn["speaker"], turn["speaker"])
        lines.append(f"**{who}:** {turn['text']}")
        if turn.get("origin"):
            lines.append(f"> {origin_label(turn['origin'])}")
        if "score" in turn:
            grade = turn.get("grade", {})
            steps = grade.get("steps") or {}
            hit = [k for k, v in steps.items() if v] if isinstance(steps, dict) else list(steps)
            override = f" (原始 original {turn['original_score']:g})" if turn.get("override_score") is not None else ""
            lines.append(f"> 得分 Score {turn['score']:g}{override} · 异议 {turn.get('objection') or '-'} · "
                         f"步骤 steps: {', '.join(hit) or '-'} · 反模式 anti-patterns: "
                         f"{', '.join(grade.get('anti_patterns') or []) or '-'}"
                         + (" · ⚠ 评分把握不大 unsure grade" if turn.get("unsure") else ""))
            said = [f"{e['step']}: “{e.get('phrase') or e.get('text')}”" for e in grade.get("evidence") or []
                    if isinstance(e, dict) and e.get("step") and (e.get("phrase") or e.get("text"))]
            if said:  # the phrases the grader saw, not the stored dict
                lines.append(f"> 依据 Evidence: {'; '.join(said)}")
            if isinstance(grade.get("judge"), dict):  # asked during practice because the grade was unsure
                lines.append(f"> {judge_label(grade['judge'])}")
        lines.append("")
    if detail["reviews"]:
        lines += ["## 导师点评 Mentor reviews", ""]
        for review in detail["reviews"]:
            target = (f"第{review['turn_no']}轮 reply {review['turn_no']}" if review.get("turn_no") else "整场 session") \
                if review["turn_id"] else "整场 session"
            before = f"{review['before']:g} → " if isinstance(review.get("before"), int | float) else "→ "
            lines.append(f"- {review['at']} {review['reviewer']} ({target}: {before}{review['override_score']:g}): "
                         f"{review['comment']}")
    return "\n".join(lines) + "\n"


def judge_label(judge: dict[str, Any]) -> str:
    """One bilingual line for the LLM judge's stored second opinion (beside the offline score, never replacing it)."""
    if judge.get("error") or judge.get("score") is None:
        return f"LLM 第二意见不可用 second opinion unavailable: {judge.get('error') or '-'}"
    reason = f" · {judge['rationale']}" if judge.get("rationale") else ""
    return f"LLM 第二意见 second opinion ({judge.get('model') or '?'}): {judge['score']}{reason}"


def origin_label(origin: dict[str, Any]) -> str:
    """One bilingual line saying who wrote a customer line, e.g. "来源 Source: LLM (qwen2.5) · 提示 Notices: …"."""
    who = f"LLM ({origin.get('model') or '?'})" if origin.get("source") == "llm" else "离线客户 offline customer"
    notices = " / ".join(origin.get("notices") or [])
    return f"来源 Source: {who}" + (f" · 提示 Notices: {notices}" if notices else "")


def cjk_font() -> str | None:
    return next((p for p in CJK_FONTS if Path(p).exists()), None)


def session_pdf(viewer: User | str | int, session_id: int, path: str | Path, font: str | None = None) -> Path:
    """The Markdown export laid out as a PDF with a CJK font; raises ExportError (use Markdown) when the
    font is missing or fpdf2 cannot load it."""
    from fpdf import FPDF

    text = session_markdown(viewer, session_id)
    font = font or cjk_font()
    if font is None or not Path(font).exists():
        raise ExportError("PDF export needs a CJK font (install fonts-wqy-microhei: `make` does it); "
                          "export Markdown instead")
    pdf = FPDF()
    try:
        pdf.add_font("cjk", fname=font)
    except Exception as exc:  # fpdf2 raises several types for unreadable fonts
        raise ExportError(f"fpdf2 cannot load the font {font} ({exc}); export Markdown instead") from exc
    pdf.add_page()
    pdf.set_font("cjk", size=10)
    for line in text.splitlines():
        pdf.multi_cell(0, 6, line or " ", new_x="LMARGIN", new_y="NEXT")
    path = Path(path)
    pdf.output(str(path))
    return path


def team_csv(viewer: User | str | int, **filters) -> str:
    """The viewer's visible sessions (same filters as list_sessions) as CSV text."""
    rows = list_sessions(viewer, **filters)
    buffer = io.StringIO()
    fields = ["session_id", "trainee", "name", "scenario_id", "mode", "hints", "status", "score", "unsure",
              "outcome", "objections", "started_at"]
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "objections": " ".join(row["objections"])})
    return buffer.getvalue()
