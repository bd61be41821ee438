"""Gate progress recomputed from stored sessions, unlocks recorded with their reason, scenario access.

Nothing here trusts a cached status: ``refresh_progress`` judges every gate on the current effective
scores, so a mentor override can open a gate or close it again (and relock what it had opened).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel, Field
from sqlmodel import select

from coach.progression.criteria import CriterionResult, ScenarioInfo
from coach.progression.evidence import SessionEvidence, load_sessions
from coach.progression.gates import Gate, load_gates
from coach.progression.teams import as_user
from coach.tables import AuditLog, GateProgress, PoolUnlock, User
from knowledge.db import session as db_session
from knowledge.db import utcnow

OPEN = ("passed", "signed_off")
STAFF = {"mentor", "trainer", "admin"}


class GateStatus(BaseModel):
    """One gate for one trainee: status (locked | in_progress | awaiting_signoff | passed | signed_off).

    ``unsure_turns`` are the trainee's grades the grader marked unsure that no mentor has looked at. When the
    gate's criteria hold only with them (``held``), the gate waits for a mentor like a sign-off gate does; when
    they hold only without them (``review_could_open``: unsure grades are mostly too low), the gate stays in
    progress and the mentor is told that reviewing those grades may open it.
    """

    id: str
    title: dict[str, str]
    status: str
    met: bool
    signoff: bool
    signed_off_by: int | None = None
    missing_requires: list[str] = Field(default_factory=list)
    held: bool = False
    review_could_open: bool = False
    unsure_turns: list[int] = Field(default_factory=list)
    criteria: list[CriterionResult] = Field(default_factory=list)
    unlocks: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.status in OPEN


class ScenarioLocked(PermissionError):
    """A scenario the trainee may not play yet; ``reason`` says what unlocks it, in the asked language."""

    def __init__(self, scenario_id: str, reason: str) -> None:
        super().__init__(f"scenario {scenario_id!r} is locked: {reason}")
        self.scenario_id = scenario_id
        self.reason = reason


class ScenarioAccess(NamedTuple):
    scenario: object  # scenarios.Scenario
    unlocked: bool
    reason: str


@lru_cache(maxsize=1)
def _shipped_info() -> dict[str, ScenarioInfo]:
    from scenarios import load_library

    return {sid: ScenarioInfo(pool=s.pool, goal=s.goal.kind) for sid, s in load_library().items()}


def scenario_info(scenario_id: str) -> ScenarioInfo:
    """Pool and goal of a scenario (shipped first, then published versions)."""
    info = _shipped_info().get(scenario_id)
    if info is not None:
        return info
    try:
        from scenarios import get_scenario

        found = get_scenario(scenario_id)
        return ScenarioInfo(pool=found.pool, goal=found.goal.kind)
    except LookupError:
        return ScenarioInfo()


def level_one_pools() -> list[str]:
    from personas import load_pools

    return [p.id for p in load_pools() if p.level == 1]


def judge(sessions: list[SessionEvidence], signed: dict[str, int | None],
          gates: tuple[Gate, ...] | None = None, info: Callable[[str], ScenarioInfo] = scenario_info,
          was_open: frozenset[str] = frozenset()) -> list[GateStatus]:
    """Pure: each gate's status from the sessions and the stored sign-offs (gates in prerequisite order).

    A gate that is not open yet and whose criteria hold only with unsure grades is held for a mentor; a gate
    already open stays open (the review is asked once, when it would open). One whose criteria hold only
    without them is flagged so a mentor knows a review may open it; it does not open on its own.
    """
    out: dict[str, GateStatus] = {}
    unsure = [t for s in sessions for t in s.unsure_turns]
    sure = [s.without_unsure() for s in sessions] if unsure else sessions
    for gate in gates or load_gates():
        results = [c.evaluate(sessions, info) for c in gate.criteria]
        met = all(r.met for r in results)
        missing = [r for r in gate.requires if not out[r].open]
        signer = signed.get(gate.id) if met else None
        sure_met = all(c.evaluate(sure, info).met for c in gate.criteria) if unsure and gate.review_unsure else met
        held = met and not sure_met and gate.id not in was_open and not missing
        could_open = sure_met and not met and not missing
        if missing:
            status = "locked"
        elif not met:
            status = "in_progress"
        elif gate.signoff or held:
            status = "signed_off" if signer else "awaiting_signoff"
        else:
            status = "passed"
        out[gate.id] = GateStatus(id=gate.id, title=gate.title.model_dump(), status=status, met=met,
                                  signoff=gate.signoff, signed_off_by=signer, missing_requires=missing,
                                  held=held, review_could_open=could_open,
                                  unsure_turns=_counted_unsure(gate, sessions, info) if held or could_open else [],
                                  criteria=results, unlocks=gate.unlocks.model_dump())
    return list(out.values())


def _counted_unsure(gate: Gate, sessions: list[SessionEvidence], info: Callable[[str], ScenarioInfo]) -> list[int]:
    """The unsure grades in the sessions the gate's criteria look at (the ones a mentor should review)."""
    return sorted({t for c in gate.criteria for s in c.counted(sessions, info) for t in s.unsure_turns})


def _reason(gate: GateStatus) -> str:
    return f"gate {gate.id} {gate.status}: {gate.title['zh']} / {gate.title['en']}"


def refresh_progress(user: User | str | int, actor_id: int | None = None) -> list[GateStatus]:
    """Recompute every gate for ``user``, store it, record (or withdraw) the unlocks it implies."""
    user = as_user(user)
    sessions = load_sessions(user.id)
    with db_session() as db:
        rows = {r.gate_id: r for r in db.exec(select(GateProgress).where(GateProgress.user_id == user.id))}
        statuses = judge(sessions, {gid: r.signed_off_by for gid, r in rows.items()},
                         was_open=frozenset(gid for gid, r in rows.items() if r.status in OPEN))
        for gate in statuses:
            row = rows.get(gate.id) or GateProgress(user_id=user.id, gate_id=gate.id)
            was_open = row.status in OPEN
            if row.signed_off_by and not gate.met:  # the evidence fell away: the mentor must look again
                db.add(AuditLog(actor_id=actor_id, action="gate_signoff_withdrawn", target=f"user:{user.id}/gate:{gate.id}",
                                before=str(row.signed_off_by), after=None, comment="criteria no longer met"))
                row.signed_off_by = None
            if gate.open != was_open:
                db.add(AuditLog(actor_id=actor_id, action="gate_opened" if gate.open else "gate_closed",
                                target=f"user:{user.id}/gate:{gate.id}", before=row.status, after=gate.status,
                                comment=json.dumps(gate.unlocks, ensure_ascii=False)))
            row.status = gate.status
            row.detail_json = json.dumps([c.model_dump() for c in gate.criteria], ensure_ascii=False, default=str)
            row.updated_at = utcnow()
            db.add(row)
        _sync_unlocks(db, user, statuses, actor_id)
        db.commit()
    return statuses


def _sync_unlocks(db, user: User, statuses: list[GateStatus], actor_id: int | None) -> None:
    wanted: dict[str, GateStatus] = {}
    for gate in statuses:
        if gate.open:
            for pool in gate.unlocks.get("pools", []):
                wanted.setdefault(pool, gate)
    have = list(db.exec(select(PoolUnlock).where(PoolUnlock.user_id == user.id)))
    have_pools = {r.pool_id for r in have}
    for pool, gate in wanted.items():
        if pool not in have_pools:
            reason = _reason(gate)
            db.add(PoolUnlock(user_id=user.id, pool_id=pool, reason=reason))
            db.add(AuditLog(actor_id=actor_id, action="pool_unlocked", target=f"user:{user.id}/pool:{pool}",
                            after=reason))
    for row in have:
        # only gate-made unlocks are withdrawn; a grant by hand stays until someone removes it
        if row.reason.startswith("gate ") and row.pool_id not in wanted:
            db.add(AuditLog(actor_id=actor_id, action="pool_relocked", target=f"user:{user.id}/pool:{row.pool_id}",
                            before=row.reason, comment="the gate that opened it is no longer passed"))
            db.delete(row)


def gate_statuses(user: User | str | int) -> list[GateStatus]:
    """Current statuses (recomputed and stored)."""
    return refresh_progress(user)


def unlocked_pools(user: User | str | int) -> list[str]:
    """Level-1 pools plus every recorded unlock, easiest first."""
    from personas import load_pools

    user = as_user(user)
    with db_session() as db:
        recorded = {r.pool_id for r in db.exec(select(PoolUnlock).where(PoolUnlock.user_id == user.id))}
    if STAFF & user.role_set and "trainee" not in user.role_set:
        recorded |= {p.id for p in load_pools()}
    ordered = [p.id for p in load_pools()]
    return [p for p in ordered if p in recorded or p in level_one_pools()]


def scenario_access(user: User | str | int, statuses: list[GateStatus] | None = None,
                    lang: str | None = None) -> list[ScenarioAccess]:
    """Every scenario with whether ``user`` may play it and why (or what unlocks it), in ``lang`` (the page's
    language; the user's stored language when not given)."""
    from personas import get_pool
    from scenarios import list_scenarios

    user = as_user(user)
    zh = (lang or user.lang) != "en"
    statuses = statuses if statuses is not None else refresh_progress(user)
    by_id = {g.id: g for g in statuses}
    pools = set(unlocked_pools(user))
    staff = bool(STAFF & user.role_set) and "trainee" not in user.role_set
    out = []
    for scenario in list_scenarios():
        openers = [g for g in statuses if scenario.id in g.unlocks.get("scenarios", [])]
        pool_openers = [g for g in statuses if scenario.pool in g.unlocks.get("pools", [])]
        pool_name = get_pool(scenario.pool).name.get("zh" if zh else "en")
        if staff:
            out.append(ScenarioAccess(scenario, True, "教练/管理员可用全部场景" if zh else "staff see every scenario"))
        elif scenario.pool in pools:
            level1 = scenario.pool in level_one_pools()
            reason = (f"入门客户池「{pool_name}」" if level1 else f"客户池「{pool_name}」已解锁") if zh else \
                (f"starter pool '{pool_name}'" if level1 else f"pool '{pool_name}' unlocked")
            out.append(ScenarioAccess(scenario, True, reason))
        elif any(g.open for g in openers):
            gate = next(g for g in openers if g.open)
            title = gate.title["zh" if zh else "en"]
            out.append(ScenarioAccess(scenario, True, f"已通过关卡「{title}」" if zh else f"gate '{title}' passed"))
        else:
            needed = [by_id[g.id] for g in pool_openers + openers]
            names = [f"「{g.title['zh']}」({gate_status_text(g, True)})" if zh else
                     f"'{g.title['en']}' ({gate_status_text(g, False)})" for g in needed]
            if zh:
                reason = "通过关卡 " + " 或 ".join(names) + " 解锁" if names else f"客户池「{pool_name}」尚未开放"
            else:
                reason = "pass gate " + " or ".join(names) + " to unlock" if names else f"pool '{pool_name}' is not open yet"
            out.append(ScenarioAccess(scenario, False, reason))
    return out


def gate_status_text(gate: GateStatus, zh: bool) -> str:
    """The status as a trainee or mentor reads it; a held gate says why it waits and what clears it."""
    if gate.held and gate.status == "awaiting_signoff":
        n = len(gate.unsure_turns)
        return (f"待导师复核：通过依赖 {n} 条把握不大的评分（导师改分或签字后开放）" if zh else
                f"awaiting a mentor: the pass rests on {n} unsure grade{'s' if n != 1 else ''} "
                "(opens when a mentor overrides them or signs the gate off)")
    if gate.review_could_open and gate.status == "in_progress":
        n = len(gate.unsure_turns)
        return (f"进行中；{n} 条把握不大的评分拉低了结果，导师复核后可能通过" if zh else
                f"in progress; {n} unsure grade{'s' if n != 1 else ''} count against it, and a mentor's review "
                "may open it")
    return status_word(gate.status, zh)


def status_word(status: str, zh: bool) -> str:
    words = {"locked": ("需先通过前置关卡", "prerequisites first"), "in_progress": ("进行中", "in progress"),
             "awaiting_signoff": ("待导师签字", "awaiting mentor sign-off"), "passed": ("已通过", "passed"),
             "signed_off": ("已签字", "signed off")}
    return words.get(status, (status, status))[0 if zh else 1]


def check_access(user: User | str | int, scenario_id: str, lang: str | None = None) -> None:
    """Raise PermissionError naming what unlocks the scenario when ``user`` may not play it yet."""
    for item in scenario_access(user, lang=lang):
        if item.scenario.id == scenario_id:
            if not item.unlocked:
                raise ScenarioLocked(scenario_id, item.reason)
            return
    raise LookupError(f"unknown scenario {scenario_id!r}; see `coach scenario list`")


def record_signoff(user: User | str | int, gate_id: str, mentor_id: int) -> GateStatus:
    """Store a mentor's sign-off for a gate whose criteria are met; returns the gate's new status."""
    from coach.progression.gates import get_gate

    user = as_user(user)
    gate = get_gate(gate_id)
    current = {g.id: g for g in refresh_progress(user)}[gate.id]
    if not gate.signoff and not current.held:
        raise ValueError(f"gate {gate_id!r} does not need a sign-off; it opens when its criteria are met")
    if current.status == "locked":
        raise ValueError(f"gate {gate_id!r} is locked: pass {', '.join(current.missing_requires)} first")
    if not current.met:
        raise ValueError(f"gate {gate_id!r} cannot be signed off yet: its criteria are not met "
                         f"({'; '.join(c.text['en'] + f' {c.have}/{c.need}' for c in current.criteria if not c.met)})")
    with db_session() as db:
        row = db.exec(select(GateProgress).where(GateProgress.user_id == user.id,
                                                 GateProgress.gate_id == gate.id)).first()
        before = row.signed_off_by
        row.signed_off_by = mentor_id
        db.add(row)
        db.add(AuditLog(actor_id=mentor_id, action="gate_signoff", target=f"user:{user.id}/gate:{gate.id}",
                        before=str(before) if before else None, after=str(mentor_id)))
        db.commit()
    return {g.id: g for g in refresh_progress(user, actor_id=mentor_id)}[gate.id]
