"""A gate whose pass holds only with grades the grader marked unsure waits for a mentor: the mentor overrides
those grades or signs the gate off. A gate already open stays open; a gate file can opt out."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.test_progression import FAKE_STRONG_EN, FAKE_STRONG_ZH, FakeGrade, access, fake_grade, gate, play

EN_SMB = "en-ecommerce-price"  # a scenario in the English SMB pool that g1-objections-3 opens
UNSURE_MARK = ("？", "?")  # in these tests a reply with a question is graded 88 but marked unsure


def unsure_grade(customer, reply, objection, lang, weights, persona):
    """The progression tests' fake grader, marking question replies unsure the way the real grader marks a
    grade whose key reading is undecided."""
    grade = fake_grade(customer, reply, objection, lang, weights, persona)
    return FakeGrade({**grade.data, "unsure": any(m in reply for m in UNSURE_MARK)})


@pytest.fixture
def prog(db):
    from coach.practice import PracticeService
    from coach.progression.tables import MIGRATIONS
    from coach.roleplay.engine import RolePlayEngine
    from coach.users import add_user, ensure_demo_users
    from knowledge.db import apply_migrations, get_engine

    apply_migrations(get_engine(), MIGRATIONS)
    ensure_demo_users()
    add_user("amy", "amy1234", "trainee", team="east", mentor="mentor", display_name="Amy", lang="en")
    return PracticeService(engine_factory=lambda: RolePlayEngine(grade=unsure_grade))


def test_a_pass_resting_on_unsure_grades_waits_for_a_mentor_signoff_chinese(prog):
    from coach.progression import progress_report, set_team_settings, unlocked_pools
    from coach.review import sign_off_gate

    set_team_settings("east", guided_sessions=0)
    play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH] * 4, days_ago=3)
    play(prog, "trainee", "drill-need", [FAKE_STRONG_ZH] * 4, days_ago=2)
    play(prog, "trainee", "drill-stall", [FAKE_STRONG_ZH + "？"] * 4, days_ago=1)  # the third type: all unsure
    held = gate("trainee", "g1-objections-3")
    assert held.met and held.held and held.status == "awaiting_signoff" and held.unsure_turns
    assert "smb" not in unlocked_pools("trainee")
    reason = access("trainee")["zh-saas-reach-dm"].reason
    assert "待导师复核" in reason and f"{len(held.unsure_turns)} 条把握不大的评分" in reason
    report = progress_report("trainee")["gates"]
    assert next(g for g in report if g["id"] == "g1-objections-3")["unsure_turns"] == held.unsure_turns

    assert sign_off_gate("mentor", "trainee", "g1-objections-3")["status"] == "signed_off"
    assert "smb" in unlocked_pools("trainee")
    with pytest.raises(ValueError, match="does not need a sign-off"):  # nothing held: no sign-off to give
        sign_off_gate("mentor", "trainee", "g1-discovery")


def test_overriding_the_unsure_grades_opens_the_gate_english(prog):
    from coach.progression import set_team_settings, unlocked_pools
    from coach.review import override_turn

    set_team_settings("east", guided_sessions=0)
    play(prog, "amy", "drill-price-en", [FAKE_STRONG_EN] * 4, days_ago=3)
    play(prog, "amy", "drill-need-en", [FAKE_STRONG_EN] * 4, days_ago=2)
    play(prog, "amy", "drill-stall-en", [FAKE_STRONG_EN.replace("?", " now?")] * 4, days_ago=1)
    held = gate("amy", "g1-objections-3")
    assert held.held and held.status == "awaiting_signoff" and "en-smb" not in unlocked_pools("amy")
    assert "rests on" in access("amy")[EN_SMB].reason

    for turn_id in held.unsure_turns:  # the mentor looked at each one and agrees it was a good reply
        override_turn("mentor", turn_id, 85, "checked: a good reply")
    opened = gate("amy", "g1-objections-3")
    assert opened.status == "passed" and not opened.held and opened.unsure_turns == []
    assert "en-smb" in unlocked_pools("amy")


def test_a_pass_that_holds_without_the_unsure_grades_opens_as_before(prog):
    from coach.progression import set_team_settings

    set_team_settings("east", guided_sessions=0)
    for days, drill in ((4, "drill-price"), (3, "drill-need"), (2, "drill-stall")):
        play(prog, "trainee", drill, [FAKE_STRONG_ZH] * 4, days_ago=days)
    play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH + "？"] * 4, days_ago=1)  # unsure, but not needed
    status = gate("trainee", "g1-objections-3")
    assert status.status == "passed" and not status.held


def _session(sid: int, day: int, kind: str, unsure: bool):
    from coach.progression.evidence import SessionEvidence, TurnEvidence

    at = datetime(2026, 3, day, 10)
    turn = TurnEvidence(sid, sid * 10, kind, 90, frozenset(), False, at.date(), at, unsure=unsure)
    return SessionEvidence(sid, "drill-price", "standard", False, "completed", "open", at, [turn])


def _one_gate(review_unsure: bool = True):
    from coach.progression.gates import Gate

    return Gate.model_validate({
        "id": "g-test", "title": {"zh": "测试", "en": "Test"}, "description": {"zh": "描述", "en": "d"},
        "criteria": [{"kind": "objection_types", "min_types": 2, "min_score": 80}],
        "unlocks": {"pools": ["smb"]}, "review_unsure": review_unsure})


def test_an_open_gate_stays_open_and_a_gate_file_can_opt_out():
    from coach.progression.progress import judge

    sessions = [_session(1, 1, "price", False), _session(2, 2, "need", True)]
    info = lambda sid: None  # noqa: E731 - no pool or scenario filters in this gate
    assert judge(sessions, {}, (_one_gate(),), info)[0].status == "awaiting_signoff"
    assert judge(sessions, {}, (_one_gate(),), info, was_open=frozenset({"g-test"}))[0].status == "passed"
    opted_out = judge(sessions, {}, (_one_gate(review_unsure=False),), info)[0]
    assert opted_out.status == "passed" and not opted_out.held
    sure = [_session(1, 1, "price", False), _session(2, 2, "need", False)]
    assert judge(sure, {}, (_one_gate(),), info)[0].status == "passed"


def test_unsure_low_grades_that_keep_a_gate_shut_are_flagged_for_review_not_dropped():
    from datetime import datetime

    from coach.progression.evidence import SessionEvidence, TurnEvidence
    from coach.progression.gates import Gate
    from coach.progression.progress import gate_status_text, judge

    at = datetime(2026, 3, 2, 10)
    turns = [TurnEvidence(7, 70, "price", 90, frozenset(), False, at.date(), at),
             TurnEvidence(7, 71, "price", 20, frozenset(), False, at.date(), at, unsure=True)]
    closed = [SessionEvidence(7, "drill-price", "standard", False, "completed", "next_step_agreed", at, turns)]
    outcome = Gate.model_validate({
        "id": "g-close", "title": {"zh": "推进", "en": "Close"}, "description": {"zh": "描述", "en": "d"},
        "criteria": [{"kind": "outcome_sessions", "min_sessions": 1, "min_score": 70}]})
    status = judge(closed, {}, (outcome,), lambda sid: None)[0]
    assert status.status == "in_progress" and status.review_could_open and status.unsure_turns == [71]
    assert "导师复核后可能通过" in gate_status_text(status, True)
    assert "a mentor's review may open it" in gate_status_text(status, False)
    reviewed = [SessionEvidence(7, "drill-price", "standard", False, "completed", "next_step_agreed", at,
                                [turns[0], TurnEvidence(7, 71, "price", 20, frozenset(), False, at.date(), at)])]
    still = judge(reviewed, {}, (outcome,), lambda sid: None)[0]  # the mentor kept the 20: no flag any more
    assert still.status == "in_progress" and not still.review_could_open and still.unsure_turns == []


@pytest.mark.parametrize("user, drill, weak", [("trainee", "drill-price", "您说得对"), ("amy", "drill-price-en", "you're right")])
def test_unsure_failures_do_not_assign_a_drill_but_sure_ones_do(prog, user, drill, weak):
    from coach.progression import refresh_drills, set_team_settings

    set_team_settings("east", guided_sessions=0)
    play(prog, user, drill, [weak + "？" if user == "trainee" else weak + "?"] * 3)  # three unsure failures
    assert refresh_drills(user) == []
    play(prog, user, drill, [weak] * 3, seed=6)  # three failures the grader is sure of
    assert [d.scenario_id for d in refresh_drills(user)] == [drill]


def test_the_trainee_and_the_mentor_read_why_a_gate_waits(prog):
    from coach.progression import after_session, set_team_settings
    from coach.review import team_overview
    from ui.messages import next_gate_markdown
    from ui.pages.review import team_markdown

    set_team_settings("east", guided_sessions=0)
    play(prog, "trainee", "drill-price", [FAKE_STRONG_ZH] * 4, days_ago=3)
    play(prog, "trainee", "drill-need", [FAKE_STRONG_ZH] * 4, days_ago=2)
    play(prog, "trainee", "drill-stall", [FAKE_STRONG_ZH + "？"] * 4, days_ago=1)
    shown = next(g for g in after_session("trainee")["gates"] if g["id"] == "g1-objections-3")
    assert shown["status"] == "awaiting_signoff" and "待导师复核" in shown["note"]["zh"]
    assert "rests on" in shown["note"]["en"]
    line = next_gate_markdown(shown["title"], shown["id"], "zh", shown["note"]["zh"])
    assert line.startswith("**下一关**：独立处理3类常见异议（待导师复核")
    assert next_gate_markdown(shown["title"], shown["id"], "en") == "**Next gate**: Handle three common objections on your own"

    overview = team_overview("mentor")
    row = next(t for t in overview["trainees"] if t["trainee"] == "trainee")
    assert row["awaiting_signoff"] == ["g1-objections-3"]
    row["review_could_open"] = ["g2-smb"]  # the dashboard's wording for a gate a review may open
    table = team_markdown(overview, "zh")
    assert "独立处理3类常见异议; 推进下一步 (复核评分后可能通过)" in table
    assert "Close a next step (a review may open it)" in team_markdown(overview, "en")
