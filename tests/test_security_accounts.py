"""Accounts and sign-in (issue 16, items 3, 4 and parts of 10): no default credentials from `coach serve`,
`coach users passwd|disable|enable|remove`, the demo-password guard on a public bind, sign-in throttling with
an audit line per failure, bcrypt work for unknown names, private file modes, and the session guard."""

from __future__ import annotations

import os
import stat
import time
from types import SimpleNamespace

import pytest
from fastapi import Request  # the echo app's annotation is resolved in this module's globals
from typer.testing import CliRunner


@pytest.fixture
def cli():
    from ui.cli.app import _load_commands, app

    _load_commands()
    runner = CliRunner()

    def run(*args):
        """exit code and what the user reads (a UserError is printed as one line by `coach`'s main)."""
        result = runner.invoke(app, [str(a) for a in args])
        return SimpleNamespace(exit_code=result.exit_code, output=result.output + str(result.exception or ""))

    return run


@pytest.fixture
def clock(db):
    """A fresh throttle on a clock the test moves (seconds)."""
    from coach.login_throttle import LoginThrottle, set_throttle

    now = [1000.0]
    set_throttle(LoginThrottle(max_failures=10, address_max_failures=50, lockout_seconds=900, clock=lambda: now[0]))
    yield now
    set_throttle(None)


def audit_rows(action: str = "login_failed"):
    from sqlmodel import select

    from coach.tables import AuditLog
    from knowledge.db import session

    with session() as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


# --- item 3: default credentials -------------------------------------------------------------------------


def test_serve_start_up_creates_no_users(db, monkeypatch):
    """What `coach serve` runs before listening (ui.server.run_server) leaves the user table empty."""
    import uvicorn

    import knowledge.ingest
    import ui.server
    from coach.users import list_users

    report = SimpleNamespace(new=0, skipped_duplicates=0, turns=0, seconds=0.0)
    monkeypatch.setattr(knowledge.ingest, "ingest_path", lambda *a, **k: report)
    monkeypatch.setattr(ui.server, "build_asgi", lambda *a, **k: None)
    served = []
    monkeypatch.setattr(uvicorn, "Server", lambda config: SimpleNamespace(run=lambda: served.append(config)))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: served.append(a))  # how earlier versions started it
    ui.server.run_server("127.0.0.1", 7999)
    assert served, "the server did not start"
    assert list_users() == []


def test_init_demo_creates_the_demo_users_and_plain_init_does_not(db):
    from coach.users import create_demo_users, ensure_demo_users, get_user, remove_user

    assert create_demo_users() and get_user("admin") is not None
    remove_user("admin")
    assert ensure_demo_users() == [] and get_user("admin") is None  # a removed demo account never comes back


def _stub_server(monkeypatch):
    import ui.server

    started = []
    monkeypatch.setattr(ui.server, "run_server", lambda host, port: started.append((host, port)))
    return started


def test_public_bind_refused_while_demo_passwords_remain(db, cli, monkeypatch):
    from coach.users import create_demo_users

    started = _stub_server(monkeypatch)
    create_demo_users()
    refused = cli("serve", "--host", "0.0.0.0", "--port", "7999")
    assert refused.exit_code != 0 and not started
    assert "coach users passwd admin" in refused.output and "coach users remove" in refused.output
    assert cli("serve", "--host", "127.0.0.1", "--port", "7999").exit_code == 0  # loopback: fine for a laptop
    assert started == [("127.0.0.1", 7999)]
    for name in ["admin", "mentor", "trainer"]:
        assert cli("users", "passwd", name, "--password", f"new-{name}-pw").exit_code == 0
    assert cli("users", "disable", "trainee2").exit_code == 0
    assert cli("users", "remove", "rep").exit_code == 0
    still = cli("serve", "--host", "0.0.0.0", "--port", "7999")
    assert still.exit_code != 0 and "coach users passwd trainee" in still.output and "admin" not in still.output
    assert cli("users", "passwd", "trainee", "--password", "学员新密码").exit_code == 0  # a Chinese password
    assert cli("serve", "--host", "0.0.0.0", "--port", "7999").exit_code == 0
    assert started[-1] == ("0.0.0.0", 7999)


@pytest.mark.parametrize("username, display, old, new", [
    ("xiaoli", "Li", "old-pass", "new-pass"),
    ("王小明", "王小明", "旧密码1234", "新密码5678"),
])
def test_users_passwd_disable_enable_remove(db, cli, clock, username, display, old, new):
    from coach.users import authenticate, get_user

    assert cli("users", "add", username, "--password", old, "--name", display).exit_code == 0
    assert cli("users", "passwd", username, "--password", new).exit_code == 0
    assert authenticate(username, old) is None and authenticate(username, new).username == username
    assert cli("users", "disable", username).exit_code == 0
    assert authenticate(username, new) is None  # right password, disabled account
    assert "(disabled)" in cli("users", "list").output
    assert cli("users", "passwd", username, "--password", new + "x").exit_code == 0
    assert authenticate(username, new + "x") is None  # a new password does not re-enable
    assert cli("users", "enable", username).exit_code == 0
    assert authenticate(username, new + "x").username == username
    assert cli("users", "remove", username).exit_code == 0
    assert get_user(username) is None
    missing = cli("users", "passwd", username, "--password", "whatever")
    assert missing.exit_code != 0 and "does not exist" in missing.output


def test_removing_a_user_with_history_says_to_disable(db, cli):
    from coach.users import add_user, get_user

    add_user("导师甲", "pw1234", "mentor")
    add_user("trainee-a", "pw1234", "trainee", mentor="导师甲")
    refused = cli("users", "remove", "导师甲")
    assert refused.exit_code != 0 and "coach users disable 导师甲" in refused.output
    assert get_user("导师甲") is not None


# --- item 4: throttling, constant work, audit --------------------------------------------------------------


@pytest.mark.parametrize("username, good, bad", [("sam", "s3cret-pass", "wrong"), ("小王", "正确的密码", "错误的密码")])
def test_400_wrong_passwords_then_the_right_one_is_refused_during_lockout(clock, username, good, bad):
    from coach.users import SignInRefused, add_user, authenticate, sign_in

    add_user(username, good)
    for _ in range(400):
        assert authenticate(username, bad, "10.0.0.7") is None
        clock[0] += 1  # one attempt a second: 400 s, inside the 900 s lockout
    with pytest.raises(SignInRefused) as refused:
        sign_in(username, good, "10.0.0.8")
    assert refused.value.reason == "locked" and refused.value.retry_after > 0
    checked = [r for r in audit_rows() if "reason=bad_password" in (r.comment or "")]
    assert len(checked) == 10  # only max_failures passwords were ever checked; the rest waited
    assert any("reason=locked" in (r.comment or "") for r in audit_rows())
    clock[0] += 901
    assert sign_in(username, good, "10.0.0.8").username == username


def test_backoff_grows_before_the_lockout(clock):
    from coach.users import SignInRefused, add_user, sign_in

    add_user("amy", "amy-pass")
    waits = []
    for _ in range(8):
        with pytest.raises(SignInRefused):
            sign_in("amy", "nope")
        try:  # straight after a failure: how long must the next attempt wait?
            sign_in("amy", "nope")
        except SignInRefused as exc:
            waits.append(exc.retry_after if exc.reason == "locked" else 0.0)
        clock[0] += 120  # past any backoff, well inside the 900 s window
    # failures 1-4 free, then 2, 4 … 32 s, and the tenth failure locks the name for 900 s
    assert waits == [0, 0, 2, 4, 8, 16, 32, 900]


def test_one_address_guessing_many_names_is_locked_out(clock):
    from coach.users import SignInRefused, add_user, sign_in

    add_user("victim", "victim-pass")
    for i in range(50):
        with pytest.raises(SignInRefused):
            sign_in(f"guess-{i}", "pw", "203.0.113.9")
        clock[0] += 61
    with pytest.raises(SignInRefused, match="too many failed sign-ins"):
        sign_in("victim", "victim-pass", "203.0.113.9")
    assert sign_in("victim", "victim-pass", "198.51.100.2").username == "victim"  # another address


def test_unknown_user_costs_a_bcrypt_check_like_a_known_one(db, monkeypatch):
    import coach.users
    from coach.users import add_user, authenticate

    add_user("known", "known-pass")
    calls = []
    real = coach.users.bcrypt.checkpw
    monkeypatch.setattr(coach.users.bcrypt, "checkpw", lambda pw, h: calls.append(h) or real(pw, h))
    assert authenticate("nobody-at-all", "guess") is None
    assert authenticate("无此用户", "猜的密码") is None
    assert authenticate("known", "guess") is None
    assert len(calls) == 3  # one check each, whether or not the name exists


def test_each_failed_sign_in_is_audited_without_echoing_unknown_names(clock):
    from coach.users import add_user, authenticate

    add_user("lily", "lily-pass")
    authenticate("lily", "bad", "192.0.2.1")
    authenticate("my-password-typed-as-name", "x", "192.0.2.1")
    authenticate("李雷的密码", "x")
    rows = audit_rows()
    assert [r.target for r in rows][0] == "user:lily" and "address=192.0.2.1" in rows[0].comment
    assert len(rows) == 3 and all(r.target.startswith("user:unknown:") for r in rows[1:])
    assert not any("password" in r.target or "李雷" in r.target for r in rows)


@pytest.mark.parametrize("lang, words", [("zh", "分钟后再试"), ("en", "try again in")])
def test_lockout_message_in_the_sign_in_form(clock, lang, words):
    from coach.users import SignInRefused
    from ui.app import signin_refusal

    message = signin_refusal(SignInRefused("locked", 600))
    assert words in message and "10" in message
    assert "分钟后再试" not in signin_refusal(SignInRefused("bad_credentials"))


def test_http_basic_sign_in_is_throttled_too(clock):
    """The practice API's HTTP Basic check goes through the same throttle."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from coach.users import add_user
    from ui.practice_api import register_practice_routes

    add_user("api-user", "api-pass")
    api = FastAPI()
    register_practice_routes(api, service=SimpleNamespace(transcript=lambda sid, uid: []))
    client = TestClient(api)
    codes = []
    for _ in range(12):
        codes.append(client.get("/api/practice/sessions/1", auth=("api-user", "bad")).status_code)
        clock[0] += 61
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}  # locked after 10 failures
    locked = client.get("/api/practice/sessions/1", auth=("api-user", "api-pass"))
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60  # even the right password


# --- item 10: file modes, session binding, idle sign-out --------------------------------------------------


def test_new_home_and_database_are_private(coach_env):
    from coach.database import init_db

    old = os.umask(0o022)  # a usual umask: the modes must not depend on it
    try:
        init_db()
    finally:
        os.umask(old)
    assert stat.S_IMODE(coach_env.stat().st_mode) == 0o700
    for name in ("coach.db", "coach.db-wal"):
        path = coach_env / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def _echo_app():
    from fastapi import FastAPI

    from ui.session_guard import SessionBinding

    api = FastAPI()

    @api.get("/")
    def page():
        return {"page": True}

    @api.post("/gradio_api/queue/join")
    async def join(request: Request):
        return {"got": (await request.json())["data"]}

    @api.get("/gradio_api/queue/data")
    def data(session_hash: str):
        return {"stream": session_hash}

    @api.get("/gradio_api/heartbeat/{session_hash}")
    def heartbeat(session_hash: str):
        return {"alive": session_hash}

    api.add_middleware(SessionBinding)
    return api


@pytest.mark.parametrize("text", ["hello", "您好，价格太贵了"])
def test_a_session_hash_is_refused_from_another_client(text):
    from fastapi.testclient import TestClient

    app = _echo_app()
    owner, other, bare = TestClient(app), TestClient(app), TestClient(app)
    assert owner.get("/").cookies.get("coach_client") and other.get("/").status_code == 200
    body = {"session_hash": "sess-1", "fn_index": 0, "data": [text]}
    assert owner.post("/gradio_api/queue/join", json=body).json() == {"got": [text]}
    assert owner.get("/gradio_api/queue/data", params={"session_hash": "sess-1"}).status_code == 200
    for client in (other, bare):
        refused = client.post("/gradio_api/queue/join", json=body)
        assert refused.status_code == 403 and "another browser" in refused.json()["error"]
        assert "另一个浏览器" in refused.json()["error"]
        assert client.get("/gradio_api/queue/data", params={"session_hash": "sess-1"}).status_code == 403
        assert client.get("/gradio_api/heartbeat/sess-1").status_code == 403
    assert other.post("/gradio_api/queue/join", json={**body, "session_hash": "sess-2"}).status_code == 200


def test_flooding_new_session_hashes_cannot_push_out_a_live_binding():
    from ui.session_guard import SessionBinding

    guard = SessionBinding(app=None, capacity=3, keep_seconds=100)
    assert [guard.bind(h, "victim", now=0) for h in ("live", "b", "c")] == ["ok", "ok", "ok"]
    assert guard.bind("flood-1", "attacker", now=10) == "full"  # nothing old enough to drop
    assert guard.bind("live", "victim", now=150) == "ok"  # the victim keeps using the tab
    assert guard.bind("flood-2", "attacker", now=201) == "ok"  # drops "b", unused for 201 s
    assert guard.bind("live", "attacker", now=202) == "other"  # the live tab is still bound to the victim


class _State:
    """The slice of Gradio's SessionState that SignedInBlocks touches."""

    def __init__(self, values):
        self.state_data = dict(values)

    def __setitem__(self, key, value):
        self.state_data[key] = value


def _guarded(idle_minutes, monkeypatch):
    import gradio as gr

    from ui.session_guard import SignedInBlocks

    monkeypatch.setenv("COACH_SIGNIN_IDLE_MINUTES", str(idle_minutes))
    from knowledge.settings import get_settings

    get_settings.cache_clear()
    with SignedInBlocks() as blocks:
        blocks.user_state, blocks.signed_out = gr.State(None), gr.State(None)
        box = gr.Textbox()
        timer = gr.Timer(5)
        clicked = box.submit(lambda x: x, box, box)
        ticked = timer.tick(lambda: None, None, None)
    return blocks, blocks.fns[clicked["id"]], blocks.fns[ticked["id"]]


def _request(cookie):
    return SimpleNamespace(cookies={"coach_client": cookie} if cookie else {})


def test_a_signed_in_tab_is_signed_out_when_idle_or_used_from_another_browser(db, monkeypatch):
    from ui.session_guard import signed_in

    blocks, click, tick = _guarded(1, monkeypatch)
    uid, why = blocks.user_state._id, blocks.signed_out._id
    user = signed_in({"id": 1, "username": "trainee", "lang": "zh"}, _request("browser-a"))
    state = _State({uid: user})
    blocks.check_session(click, state, _request("browser-a"))
    assert state.state_data[uid] is user
    user["seen"] -= 50
    blocks.check_session(tick, state, _request("browser-a"))  # a timer tick is not activity
    assert state.state_data[uid] is user and time.time() - user["seen"] >= 50
    blocks.check_session(click, state, _request("browser-a"))  # a click is
    assert time.time() - user["seen"] < 5
    user["seen"] -= 61
    blocks.check_session(tick, state, _request("browser-a"))
    assert state.state_data[uid] is None and state.state_data[why] == "idle"
    other = _State({uid: signed_in({"id": 1}, _request("browser-a"))})
    blocks.check_session(click, other, _request("browser-b"))
    assert other.state_data[uid] is None and other.state_data[why] == "other_browser"


@pytest.mark.parametrize("why, zh, en", [("idle", "分钟没有操作", "without activity"),
                                          ("other_browser", "另一个浏览器", "another browser")])
def test_signed_out_message_says_why(coach_env, why, zh, en):
    from ui.app import signed_out_message

    message = signed_out_message(why)
    assert zh in message and en in message
