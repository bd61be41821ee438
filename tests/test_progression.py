"""Progression: gates from data, real scripted sessions walking a trainee to the first unlocked pool,
overrides moving progress both ways, guided mode, whispers and targeted drills."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

FAKE_STRONG_ZH = "理解您的顾虑，给您看同行的数据和案例，我们约个演示吧"
FAKE_STRONG_EN = "I understand; here is data from a similar case, shall we book a demo?"
FAKE_WEAK_ZH = "您说得对"
FAKE_WEAK_EN = "you're right"


class FakeGrade:
    def __init__(self, data):
        self.data = data
        self.score = data["score"]
        self.steps = {s: True for s in data["steps"]}
        self.anti_patterns = data["anti_patterns"]

    def model_dump(self, mode="json"):
        return {**self.data, "steps": self.steps}


def fake_grade(customer, reply, objection, lang, weights, persona):
    """Replies with data/案例 score 88 (evidence step); a question adds clarify, a demo advance; bare
    agreement scores 30."""
    strong = any(w in reply for w in ("数据", "案例", "data", "case"))
    steps = ["acknowledge"] + (["evidence"] if strong else []) + (["clarify"] if "?" in reply or "？" in reply else [])
    steps += ["advance"] if any(w in reply for w in ("演示", "demo")) else []
    return FakeGrade({"score": 88 if strong else 30, "steps": steps, "objection": objection,
                      "anti_patterns": [] if strong else ["empty_agreement"],
                      "evidence": {"matched": reply[:12]}})


@pytest.fixture
def prog(db):
    """Migrated store (progression tables too), demo users, and a practice service on the fake grader."""
    from coach.practice import PracticeService
    from coach.progression.tables import MIGRATIONS
    from coach.roleplay.engine import RolePlayEngine
    from coach.users import add_user, ensure_demo_users
    from knowledge.db import apply_migrations, get_engine

    apply_migrations(get_engine(), MIGRATIONS)
    ensure_demo_users()
    add_user("amy", "amy1234", "trainee", team="east", mentor="mentor", display_name="Amy", lang="en")
    return PracticeService(engine_factory=lambda: RolePlayEngine(grade=fake_grade))


def play(service, username, scenario_id, replies, days_ago=0, seed=5, want_hints=None):
    """Start through progression (access + mode), reply until the customer ends or replies run out, end,
    then move the session back ``days_ago`` days (sessions on different days)."""
    from coach.progression import start_session
    from coach.tables import PracticeSession
    from coach.users import get_user
    from knowledge.db import session as db_session

    user = get_user(username)
    view = start_session(service, user, scenario_id, seed=seed, want_hints=want_hints)
    for reply in replies:
        if service.reply(view.session_id, user.id, reply).ended:
            break
    service.end(view.session_id, user.id)
    if days_ago:
        with db_session() as db:
            row = db.get(PracticeSession, view.session_id)
            row.started_at = row.started_at - timedelta(days=days_ago)
            db.add(row)
            db.commit()
    return view.session_id


def gate(username, gate_id):
    from coach.progression import refresh_progress

    return {g.id: g for g in refresh_progress(username)}[gate_id]


def access(username):
    from coach.progression import scenario_access

    return {a.scenario.id: a for a in scenario_access(username)}


def pool_unlocks(username):
    from coach.tables import PoolUnlock
    from coach.users import get_user
    from knowledge.db import session as db_session

    with db_session() as db:
        return {r.pool_id: r.reason for r in db.exec(select(PoolUnlock).where(PoolUnlock.user_id == get_user(username).id))}


# --- gates as data --------------------------------------------------------------------------------------
def test_shipped_gates_load_and_cover_every_gate_a_scenario_names():
    from coach.progression import load_gates
    from scenarios import load_library

    gates = {g.id: g for g in load_gates()}
    assert "独立处理3类常见异议" == gates["g1-objections-3"].title.zh
    assert gates["g1-objections-3"].unlocks.pools == ["smb", "en-smb"]
    kinds = {c.kind for g in gates.values() for c in g.criteria}
    assert kinds == {"objection_types", "objection_sessions", "step_sessions", "outcome_sessions"}
    named = {gid for s in load_library().values() for gid in s.gates}
    assert named <= set(gates), f"scenarios name unknown gates: {named - set(gates)}"


def test_bad_gate_file_names_line_and_field():
    from coach.progression import GateError, parse_gates

    text = ("gates:\n  - id: g-x\n    title: {zh: 测试, en: Test}\n    description: {zh: 描述, en: d}\n"
            "    criteria:\n      - kind: objection_types\n        min_types: 3\n        objections: [pricee]\n")
    with pytest.raises(GateError) as err:
        parse_gates(text, "my-gates.yaml")
    assert "my-gates.yaml line 8" in str(err.value) and "gates[0].criteria[0].objections" in str(err.value)
    assert "unknown objection type 'pricee'" in str(err.value)
    with pytest.raises(GateError, match=r"line 6: .*unknown criterion kind"):
        parse_gates(text.replace("objection_types", "vibes"), "my-gates.yaml")
    with pytest.raises(GateError, match="unknown scenario 'zh-nope'"):
        parse_gates(text.replace("[pricee]", "[price]") + "    unlocks: {scenarios: [zh-nope]}\n", "g.yaml")


def test_distinct_days_need_one_day_per_objection_type():
    from datetime import datetime

    from coach.progression.criteria import ObjectionTypes
    from coach.progression.evidence import SessionEvidence, TurnEvidence

    def sess(sid, day, kinds, hints=False):
        at = datetime(2026, 3, day, 10)
        turns = [TurnEvidence(sid, sid * 10 + i, k, 90, frozenset(), hints, at.date(), at) for i, k in enumerate(kinds)]
        return SessionEvidence(sid, "drill-price", "standard", hints, "completed", "open", at, turns)

    crit = ObjectionTypes(min_types=3, min_score=80, without_hints=True, distinct_days=True)
    same_day = [sess(1, 1, ["price", "need", "stall"])]
    result = crit.evaluate(same_day, lambda sid: None)
    assert (result.met, result.have) == (False, 1)
    spread = [sess(1, 1, ["price", "need"]), sess(2, 2, ["need"]), sess(3, 3, ["stall", "price"])]
    assert crit.evaluate(spread, lambda sid: None).met
    with_hints = [sess(1, 1, ["price"], True), sess(2, 2, ["need"]), sess(3, 3, ["stall"])]
    assert crit.evaluate(with_hints, lambda sid: None).have == 2


# --- zero to the first unlocked pool --------------------------------------------------------------------
def test_trainee_walks_from_zero_to_the_smb_pool_chinese(prog):
    from coach.progression import guided_left, session_mode, set_team_settings, start_session, unlocked_pools

    set_team_settings("east", guided_sessions=2)
    assert unlocked_pools("trainee") == ["individual"]
    locked = access("trainee")["zh-saas-reach-dm"]
    assert not locked.unlocked and "独立处理3类常见异议" in locked.reason
    assert access("trainee")["zh-fmcg-shop-owner"].unlocked
    with pytest.raises(PermissionError, match="locked"):
        start_session(prog, "trainee", "zh-saas-reach-dm")

    # guided sessions: hints always on, so they do not count for the hint-free gate
    assert session_mode("trainee") == ("guided", True)
    play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH] * 4, days_ago=5)
    play(prog, "trainee", "drill-need", [FAKE_STRONG_ZH] * 4, days_ago=4)
    assert guided_left("trainee") == 0 and session_mode("trainee") == ("standard", False)
    assert gate("trainee", "g1-objections-3").criteria[0].have == 0

    play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH] * 4, days_ago=2)
    play(prog, "trainee", "drill-need", [FAKE_STRONG_ZH] * 4, days_ago=1)
    play(prog, "trainee", "drill-stall", [FAKE_WEAK_ZH] * 4)  # a weak session adds nothing
    assert gate("trainee", "g1-objections-3").status == "in_progress"
    assert "smb" not in unlocked_pools("trainee")

    play(prog, "trainee", "drill-stall", [FAKE_STRONG_ZH] * 4)
    status = gate("trainee", "g1-objections-3")
    assert status.status == "passed" and status.criteria[0].have >= 3
    assert unlocked_pools("trainee") == ["individual", "smb", "en-smb"]
    assert "g1-objections-3" in pool_unlocks("trainee")["smb"]
    now_open = access("trainee")["zh-saas-reach-dm"]
    assert now_open.unlocked and "中小企" in now_open.reason
    view = start_session(prog, "trainee", "zh-saas-reach-dm", seed=9)
    assert view.hints is False
    # another trainee's progress is untouched
    assert unlocked_pools("trainee2") == ["individual"]


def test_signoff_gate_waits_for_a_mentor_then_unlocks_key_accounts(prog):
    from coach.progression import set_team_settings, unlocked_pools
    from coach.review import sign_off_gate

    set_team_settings("east", guided_sessions=0)
    for days, drill in ((3, "drill-price"), (2, "drill-need"), (1, "drill-stall")):
        play(prog, "trainee", drill, [FAKE_STRONG_ZH] * 4, days_ago=days)
    for seed in (1, 2, 3):
        play(prog, "trainee", "zh-saas-reach-dm", [FAKE_STRONG_ZH] * 10, seed=seed)
    smb = gate("trainee", "g2-smb")
    assert smb.criteria[0].have == 3 and smb.status == "awaiting_signoff"
    assert "ka" not in unlocked_pools("trainee")
    with pytest.raises(PermissionError, match="trainer"):
        sign_off_gate("trainer", "trainee", "g2-smb")
    with pytest.raises(ValueError, match="does not need a sign-off"):
        sign_off_gate("mentor", "trainee", "g1-objections-3")
    assert sign_off_gate("mentor", "trainee", "g2-smb")["status"] == "signed_off"
    assert "ka" in unlocked_pools("trainee")
    assert access("trainee")["zh-finance-stall"].unlocked


# --- overrides move progress both ways -------------------------------------------------------------------
def test_override_closes_and_reopens_a_gate_english(prog):
    from coach.progression import set_team_settings, unlocked_pools
    from coach.review import override_turn, session_detail
    from coach.tables import AuditLog
    from knowledge.db import session as db_session

    set_team_settings("east", guided_sessions=0)
    price = play(prog, "amy", "drill-price-en", [FAKE_STRONG_EN] * 4, days_ago=3)
    play(prog, "amy", "drill-need-en", [FAKE_STRONG_EN] * 4, days_ago=2)
    play(prog, "amy", "drill-stall-en", [FAKE_STRONG_EN] * 4, days_ago=1)
    assert gate("amy", "g1-objections-3").status == "passed" and "en-smb" in unlocked_pools("amy")
    assert access("amy")["en-ecommerce-price"].unlocked

    turns = [t for t in session_detail("mentor", price)["turns"] if t["speaker"] == "trainee"]
    price_turns = sorted(turns, key=lambda t: t.get("objection") != "price")  # the whole day's evidence
    assert price_turns[0]["objection"] == "price"
    with pytest.raises(ValueError, match="comment is required"):
        override_turn("mentor", price_turns[0]["turn_id"], 40, "  ")
    for turn in price_turns:
        result = override_turn("mentor", turn["turn_id"], 40, "did not really answer the objection")
    assert {"id": "g1-objections-3", "status": "in_progress"} in result["gates"]
    assert "en-smb" not in unlocked_pools("amy")
    locked = access("amy")["en-ecommerce-price"]
    assert not locked.unlocked and "Handle three common objections" in locked.reason

    override_turn("mentor", price_turns[0]["turn_id"], 92, "on review the value case was solid")
    assert gate("amy", "g1-objections-3").status == "passed" and "en-smb" in unlocked_pools("amy")
    with db_session() as db:
        actions = [a.action for a in db.exec(select(AuditLog).order_by(AuditLog.id))]
        last = db.exec(select(AuditLog).where(AuditLog.action == "override_turn").order_by(AuditLog.id.desc())).first()
    assert actions.count("pool_unlocked") == 4 and actions.count("pool_relocked") == 2
    assert actions.count("gate_opened") >= 2 and "gate_closed" in actions
    assert '"override_score": 40' in last.before and "92" in last.after and last.comment.startswith("on review")


# --- guided mode and whispers ---------------------------------------------------------------------------
def test_guided_sessions_count_per_team_and_whispers_reach_only_the_trainee(prog):
    from coach.progression import (
        active_guided_sessions,
        guided_left,
        send_whisper,
        session_mode,
        set_team_settings,
        start_session,
        whispers_since,
    )
    from coach.users import add_user, get_user

    assert guided_left("trainee") == 10  # the default
    set_team_settings("east", guided_sessions=3)
    add_user("mentor-west", "pw1234", "mentor", team="west")
    for i in range(3):
        assert session_mode("trainee") == ("guided", True)
        play(prog, "trainee", "zh-fmcg-shop-owner", [FAKE_WEAK_ZH] * 2, seed=i)
        assert guided_left("trainee") == 2 - i
    assert session_mode("trainee", want_hints=True) == ("standard", True)
    assert session_mode("trainee2") == ("guided", True)

    live = start_session(prog, "trainee2", "zh-fmcg-shop-owner", seed=4)
    assert [s["session_id"] for s in active_guided_sessions("mentor")] == [live.session_id]
    assert active_guided_sessions("mentor-west") == []
    whisper = send_whisper(live.session_id, "mentor", "先问清楚他担心的是哪一点")
    assert whisper.speaker == "whisper"
    assert [w["text"] for w in whispers_since(live.session_id, "trainee2")] == ["先问清楚他担心的是哪一点"]
    assert whispers_since(live.session_id, "trainee2", after_idx=whisper.idx) == []
    with pytest.raises(PermissionError):
        whispers_since(live.session_id, "trainee")
    with pytest.raises(PermissionError):
        send_whisper(live.session_id, "mentor-west", "hi")
    with pytest.raises(PermissionError, match="not a mentor"):
        send_whisper(live.session_id, "trainee", "hi")
    # the customer never hears the whisper: the session carries on normally
    turn = prog.reply(live.session_id, get_user("trainee2").id, "请问您最担心卖不动，是哪类商品？")
    assert "先问清楚" not in turn.customer_text


# --- targeted drills ------------------------------------------------------------------------------------
def test_three_failures_assign_the_drill_and_passing_clears_it(prog):
    from coach.progression import drill_history, refresh_drills, set_team_settings
    from coach.tables import PracticeSession
    from knowledge.db import session as db_session

    set_team_settings("east", guided_sessions=0)
    play(prog, "trainee", "drill-price", [FAKE_WEAK_ZH, FAKE_WEAK_ZH])
    assert refresh_drills("trainee") == []
    play(prog, "trainee", "drill-price", [FAKE_WEAK_ZH], seed=6)
    due = refresh_drills("trainee")
    assert [(d.objection, d.scenario_id) for d in due] == [("price", "drill-price")]
    assert "连续 3 次" in due[0].reason and "学习微流程" in due[0].study
    assert refresh_drills("trainee") == due  # not assigned twice

    sid = play(prog, "trainee", "drill-price", [FAKE_WEAK_ZH, FAKE_STRONG_ZH], seed=7)
    with db_session() as db:
        assert db.get(PracticeSession, sid).mode == "drill"
    assert refresh_drills("trainee") == []
    history = drill_history("trainee")
    assert history[0].status == "cleared" and history[0].cleared_at


def test_team_threshold_and_english_drill(prog):
    from coach.progression import refresh_drills, set_team_settings

    set_team_settings("east", guided_sessions=0, drill_threshold=2)
    play(prog, "amy", "drill-budget-en", [FAKE_WEAK_EN, FAKE_WEAK_EN])
    due = refresh_drills("amy")
    assert [d.scenario_id for d in due] == ["drill-budget-en"]
    assert "Micro-flow" in due[0].study
    with pytest.raises(ValueError):
        set_team_settings("east", drill_threshold=0)
