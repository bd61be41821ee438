"""Practice sessions that persist: start a session (persona synthesized and stored with its seed), take a
reply (grade, customer answer, both stored with the state in one transaction), resume after a restart."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import select

from coach import line_origins
from coach.grading.models import JudgeResult
from coach.progression import takeover
from coach.roleplay.engine import RolePlayEngine, Setup, TurnResult
from coach.roleplay.from_persona import hidden_objections, persona_view
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.realizer import RealizerEvent
from coach.roleplay.state import CustomerState
from coach.tables import PracticeSession, TurnGrade, TurnRow
from coach.text_limits import check_reply
from knowledge.db import session as db_session
from knowledge.db import utcnow
from personas.model import Persona

log = logging.getLogger(__name__)
INTENSITY = {"low": 0.2, "medium": 0.5, "high": 0.8}
MAX_ID = 2**63 - 1  # what the database stores: a larger session id or seed is a client's mistake, not a crash


class PracticeError(ValueError):
    """A session that cannot be started or continued; the message says why and what to do."""


class SessionView(BaseModel):
    session_id: int
    scenario_id: str
    scenario_version: int
    title: str
    lang: str
    persona_public: dict[str, str]
    opening: str
    hints: bool
    seed: int
    mode: str = "standard"
    notices: list[str] = Field(default_factory=list)


class TurnView(BaseModel):
    idx: int
    reply: str
    grade: dict[str, Any]
    customer_text: str
    act: str
    objection: str | None
    ended: bool
    outcome: str | None = None
    notices: list[str] = Field(default_factory=list)
    latency_ms: float = 0.0
    origin: dict[str, Any] = Field(default_factory=dict)  # who wrote customer_text: source, model, notices


def needs_second_opinion(grade: dict[str, Any]) -> bool:
    """An unsure grade is often far off, so with an LLM configured it gets the LLM judge's view beside it;
    offline (the default) nothing is ever asked."""
    from knowledge.settings import get_settings

    return bool(grade.get("unsure")) and get_settings().llm_enabled


def setup_for(scenario, persona: Persona) -> Setup:
    """Scenario objections come first (in order or shuffled by seed), then the persona's own hidden ones."""
    from coach.roleplay.policy import HiddenObjection

    own = {o.type: o for o in hidden_objections(persona, limit=6)}
    types = list(scenario.objections.types)
    if scenario.objections.order == "random":
        random.Random(f"{scenario.id}:{persona.seed}").shuffle(types)
    planned = [own.get(t) or HiddenObjection(t, "always", 0.5) for t in types]
    extra = [o for t, o in own.items() if t not in types][: max(0, 3 - len(planned))]
    return Setup(scenario_id=scenario.id, lang=scenario.language, objections=planned + extra,
                 max_turns=scenario.max_turns, intensity=INTENSITY[scenario.objections.intensity],
                 weights=scenario.step_weights(), hints=scenario.hints)


class PracticeService:
    """The coach's session API used by the CLI and the web app. Collaborators are injectable."""

    def __init__(self, engine_factory: Callable[[], RolePlayEngine] | None = None,
                 scenario_loader: Callable[[str, int | None], Any] | None = None,
                 deals_loader: Callable[[str], list] | None = None) -> None:
        self._engine_factory = engine_factory
        self._engine: RolePlayEngine | None = None
        self._engine_lock = threading.Lock()
        self.scenario_loader = scenario_loader
        self.deals_loader = deals_loader
        self._versions: dict[tuple[str, int], Any] = {}  # a published version never changes: parse it once

    # --- collaborators -------------------------------------------------------------------------
    @property
    def engine(self) -> RolePlayEngine:
        """Built once, even when the server's warm-up and a first request ask for it at the same time."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    if self._engine_factory is None:
                        from coach.roleplay.factory import default_engine

                        self._engine_factory = default_engine
                    self._engine = self._engine_factory()
        return self._engine

    def scenario(self, scenario_id: str, version: int | None = None):
        if self.scenario_loader is not None:
            return self.scenario_loader(scenario_id, version)
        from scenarios import get_scenario

        if version is None:
            return get_scenario(scenario_id)
        key = (scenario_id, version)
        if key not in self._versions:
            self._versions[key] = get_scenario(scenario_id, version)
        return self._versions[key]

    def deals(self, pool: str) -> list:
        if self.deals_loader is not None:
            return self.deals_loader(pool)
        from personas import load_pool_deals

        return load_pool_deals(pool)

    # --- sessions -------------------------------------------------------------------------------
    def start(self, user_id: int, scenario_id: str, seed: int | None = None, mode: str = "standard",
              hints: bool | None = None) -> SessionView:
        from personas import synthesize_persona

        if seed is not None and not -MAX_ID <= seed <= MAX_ID:
            raise PracticeError(f"seed {seed} is out of range; use a whole number between -(2^63-1) and 2^63-1")
        scenario = self.scenario(scenario_id)
        version = getattr(scenario, "version", 1)
        seed = random.SystemRandom().randrange(1, 10**6) if seed is None else seed
        persona = synthesize_persona(scenario, self.deals(scenario.pool), seed)
        view = persona_view(persona)
        setup = setup_for(scenario, persona)
        opening = self.engine.open_line(setup, view, seed)
        state, act, text = opening.state, opening.act, opening.text
        show_hints = scenario.hints if hints is None else hints
        with db_session() as db:
            row = PracticeSession(user_id=user_id, scenario_id=scenario.id, scenario_version=version, seed=seed,
                                  mode=mode, hints_shown=show_hints, persona_json=persona.model_dump_json(),
                                  state_json=state.model_dump_json())
            db.add(row)
            db.flush()
            first = TurnRow(session_id=row.id, idx=0, speaker="customer", text=text, act=act.kind,
                            objection=act.objection)
            db.add(first)
            db.flush()
            line_origins.record(db, first.id, row.id, opening.origin)
            db.commit()
            db.refresh(row)
        return SessionView(session_id=row.id, scenario_id=scenario.id, scenario_version=version, title=scenario.title,
                           lang=scenario.language, persona_public=persona.public().model_dump(), opening=text,
                           hints=show_hints, seed=seed, mode=mode, notices=opening.notices)

    def _load(self, session_id: int, user_id: int | None):
        if not 0 < session_id <= MAX_ID:
            raise PracticeError(f"session {session_id} does not exist")
        with db_session() as db:
            row = db.get(PracticeSession, session_id)
            if row is None:
                raise PracticeError(f"session {session_id} does not exist")
            if user_id is not None and row.user_id != user_id:
                raise PracticeError(f"session {session_id} belongs to another user")
            turns = list(db.exec(select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.idx)))
        return row, turns

    def reply_stream(self, session_id: int, user_id: int | None, text: str,
                     mentor_id: int | None = None) -> Iterator[RealizerEvent | TurnView]:
        """Grade the reply and stream the customer's answer; the last item is the stored TurnView.

        An empty or over-long reply raises ``coach.text_limits.TextLimitError`` (in the session's language)
        before anything is graded or stored: the Practice page, the HTTP API and the CLI share this check.
        """
        row, turns = self._load(session_id, user_id)
        if row.status != "active":
            raise PracticeError(f"session {session_id} has ended; start a new one")
        scenario = self.scenario(row.scenario_id, row.scenario_version)
        text = check_reply(text, getattr(scenario, "language", "en"))
        takeover.check_turn(session_id, mentor_id, getattr(scenario, "language", "en"))
        persona = Persona.model_validate_json(row.persona_json)
        view = persona_view(persona)
        setup = setup_for(scenario, persona)
        state = CustomerState.model_validate_json(row.state_json)
        history = [("customer" if t.speaker == "customer" else "trainee", t.text)
                   for t in turns if t.speaker in {"customer", "trainee", takeover.MENTOR}]
        result: TurnResult | None = None
        for item in self.engine.stream_step(setup, view, state, row.seed, history, text):
            if isinstance(item, TurnResult):
                result = item
            else:
                yield item
        assert result is not None
        yield self._store(row, turns, result, mentor_id)

    def read_ahead(self, session_id: int, user_id: int | None = None) -> None:
        """Prepare the grade of the next reply while the trainee reads the customer's last line (the Practice
        page calls this after showing it): the line's embedding and, with an objection open, its won-deal line.
        A failure here only costs the next turn the time it would have saved."""
        try:
            row, turns = self._load(session_id, user_id)
            if row.status != "active":
                return
            line = next((t.text for t in reversed(turns) if t.speaker == "customer"), "")
            state = CustomerState.model_validate_json(row.state_json)
            self.engine.read_ahead(line, state.active or "none")
        except Exception as exc:  # noqa: BLE001 - speed-up only: the next grade does this work itself
            log.warning("read-ahead of session %s failed: %s", session_id, exc)

    def reply(self, session_id: int, user_id: int | None, text: str, mentor_id: int | None = None) -> TurnView:
        last = None
        for item in self.reply_stream(session_id, user_id, text, mentor_id):
            last = item
        return last

    def _store(self, row: PracticeSession, turns: list[TurnRow], result: TurnResult,
               mentor_id: int | None = None) -> TurnView:
        """Store the rep's reply, its grade and the customer's answer in one transaction. A mentor's reply
        (takeover) is stored as the mentor's turn and never graded against the trainee."""
        idx = max((t.idx for t in turns), default=-1) + 1
        with db_session() as db:
            db.add(row)  # loaded by this request's _load: attached again, not read a second time
            trainee = TurnRow(session_id=row.id, idx=idx, speaker="trainee" if mentor_id is None else takeover.MENTOR,
                              text=result.reply, objection=result.grade.get("objection"),
                              latency_ms=result.latency_ms, act=None if mentor_id is None else f"mentor:{mentor_id}")
            customer = TurnRow(session_id=row.id, idx=idx + 1, speaker="customer", text=result.customer_text,
                               act=result.act.kind, objection=result.act.objection)
            db.add_all([trainee, customer])
            db.flush()  # both turn ids in one round trip; the grade and the line's origin point at them
            if mentor_id is None:
                db.add(TurnGrade(turn_id=trainee.id, session_id=row.id, objection=result.grade.get("objection"),
                                 score=float(result.grade.get("score", 0)),
                                 grade_json=json.dumps(result.grade, ensure_ascii=False)))
            line_origins.record(db, customer.id, row.id, result.origin)
            row.state_json = result.state.model_dump_json()
            if result.ended:
                row.status = "completed"
                row.ended_at = utcnow()
                row.outcome = result.state.outcome
            db.add(row)
            db.commit()
            if result.ended:
                self._finalise(db, row)
        return TurnView(idx=idx, reply=result.reply, grade=result.grade, customer_text=result.customer_text,
                        act=result.act.kind, objection=result.act.objection, ended=result.ended,
                        outcome=result.state.outcome if result.ended else None, notices=result.notices,
                        latency_ms=result.latency_ms, origin=result.origin.model_dump())

    def second_opinion(self, session_id: int, user_id: int | None, idx: int,
                       judge: Callable[..., JudgeResult] | None = None) -> dict[str, Any] | None:
        """The stored grade of reply ``idx`` with the LLM judge's view added under "judge" (also stored, so a
        mentor sees it later); None, and no call, offline or when the grade is sure. Asked at most once per
        reply; a failing judge is a ``JudgeResult`` with ``error``. The offline score is never touched.

        Called after the turn is stored and shown (the Practice page chains it after the reply), so the
        trainee never waits for it; ``judge`` defaults to ``coach.grading.llm_judge.judge_reply``."""
        row, turns = self._load(session_id, user_id)
        reply = next((t for t in turns if t.idx == idx and t.speaker == "trainee"), None)
        if reply is None:
            raise PracticeError(f"session {session_id} has no trainee reply {idx}")
        with db_session() as db:
            stored = db.exec(select(TurnGrade).where(TurnGrade.turn_id == reply.id)).first()
        grade = json.loads(stored.grade_json) if stored is not None else {}
        if not needs_second_opinion(grade):
            return None
        if isinstance(grade.get("judge"), dict):  # asked already: never twice for one reply
            return grade
        if judge is None:
            from coach.grading.llm_judge import judge_reply as judge
        customer = next((t.text for t in reversed(turns) if t.idx < idx and t.speaker == "customer"), "")
        lang = grade.get("lang") or getattr(self.scenario(row.scenario_id, row.scenario_version), "language", "zh")
        opinion = judge(customer, reply.text, grade.get("objection") or reply.objection or "none", lang)
        return self._store_judge(reply.id, opinion)

    @staticmethod
    def _store_judge(turn_id: int, opinion: JudgeResult) -> dict[str, Any]:
        """Add the judge's view to the stored grade, read afresh in this transaction (the call took seconds)."""
        with db_session() as db:
            stored = db.exec(select(TurnGrade).where(TurnGrade.turn_id == turn_id)).one()
            grade = {**json.loads(stored.grade_json), "judge": opinion.model_dump(mode="json")}
            stored.grade_json = json.dumps(grade, ensure_ascii=False)
            db.add(stored)
            db.commit()
        return grade

    def is_last_reply(self, session_id: int, idx: int) -> bool:
        """Whether reply ``idx`` is still the trainee's latest: a late second opinion must not cover a newer grade."""
        _, turns = self._load(session_id, None)
        return not any(t.speaker == "trainee" and t.idx > idx for t in turns)

    @staticmethod
    def _finalise(db, row: PracticeSession) -> None:
        grades = list(db.exec(select(TurnGrade).where(TurnGrade.session_id == row.id)))
        scores = [g.override_score if g.override_score is not None else g.score for g in grades]
        row.score = round(sum(scores) / len(scores), 1) if scores else 0.0
        db.add(row)
        db.commit()

    def end(self, session_id: int, user_id: int | None) -> PracticeSession:
        """End an active session early (the trainee hangs up); the score covers the turns played."""
        row, _ = self._load(session_id, user_id)
        with db_session() as db:
            row = db.get(PracticeSession, session_id)
            if row.status == "active":
                row.status = "completed"
                row.ended_at = utcnow()
                state = CustomerState.model_validate_json(row.state_json)
                row.outcome = "ended_by_trainee" if not state.next_step_agreed else state.outcome
                db.add(row)
                db.commit()
                self._finalise(db, row)
            db.refresh(row)
            return row

    def transcript(self, session_id: int, user_id: int | None = None) -> list[dict[str, Any]]:
        """Every stored turn with its grade (trainee turns), oldest first."""
        row, turns = self._load(session_id, user_id)
        with db_session() as db:
            grades = {g.turn_id: g for g in db.exec(select(TurnGrade).where(TurnGrade.session_id == session_id))}
            origins = line_origins.origins_for(db, session_id)
        out = []
        for t in turns:
            item = {"idx": t.idx, "speaker": t.speaker, "text": t.text, "act": t.act, "objection": t.objection}
            if t.id in origins:  # who wrote this customer line: llm (model) or offline, and what was said
                item["origin"] = origins[t.id]
            grade = grades.get(t.id)
            if grade is not None:
                item["grade"] = json.loads(grade.grade_json)
                item["score"] = grade.override_score if grade.override_score is not None else grade.score
                item["turn_id"] = t.id
            out.append(item)
        return out

    def persona_view(self, session_id: int) -> PersonaView:
        row, _ = self._load(session_id, None)
        return persona_view(Persona.model_validate_json(row.persona_json))

    def customer_state(self, session_id: int) -> CustomerState:
        row, _ = self._load(session_id, None)
        return CustomerState.model_validate_json(row.state_json)
