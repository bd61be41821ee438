"""Issue 16, items 1 and 2 over a real socket: the live API needs a credential (an API token from
`coach tokens`, or a user's password), checks a browser's Origin, and refuses oversized events and messages
with a reason. Tokens are stored hashed and revoke at once."""

from __future__ import annotations

import asyncio
import base64
import json
import threading

import httpx
import pytest
from conftest import free_port, wait_for_port
from typer.testing import CliRunner


class _Run:
    """A CLI run with what a user sees: stdout, and the one-line error `coach` prints for a UserError."""

    def __init__(self, result) -> None:
        self.exit_code, self.stdout = result.exit_code, result.stdout
        self.output = result.output + (f"error: {result.exception}" if result.exception else "")


def _cli(*args) -> _Run:
    from ui.cli.app import _load_commands, app

    _load_commands()
    return _Run(CliRunner().invoke(app, list(args)))


def _new_token(name: str) -> str:
    result = _cli("tokens", "add", name, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["token"]


def test_tokens_add_list_revoke_store_only_a_hash(db):
    token = _new_token("dialer-east")
    assert token.startswith("ct_") and len(token) > 40
    again = _cli("tokens", "add", "dialer-east")
    assert again.exit_code == 1 and "exists" in again.output
    listed = json.loads(_cli("tokens", "list", "--json").stdout)
    assert [r["name"] for r in listed] == ["dialer-east"] and token not in json.dumps(listed)
    stored = b"".join(p.read_bytes() for p in db.glob("coach.db*"))
    assert token.encode() not in stored  # only the SHA-256 is kept

    from coach.tokens import verify_token

    assert verify_token(token).name == "dialer-east"
    assert verify_token(token + "x") is None and verify_token("not-a-token") is None
    revoked = _cli("tokens", "revoke", "dialer-east")
    assert revoked.exit_code == 0 and "revoked dialer-east" in revoked.output
    assert verify_token(token) is None
    assert _cli("tokens", "revoke", "dialer-east").exit_code == 1  # nothing active by that name now
    assert "revoked" in _cli("tokens", "list").output


def test_origin_rules():
    from ui.api_auth import origin_allowed

    assert origin_allowed(None, "coach.example.com")  # a dialer or a script: no Origin
    assert origin_allowed("https://coach.example.com", "coach.example.com")
    assert origin_allowed("http://127.0.0.1:7860", "127.0.0.1:7860")
    assert not origin_allowed("https://evil.example", "coach.example.com")
    assert not origin_allowed("http://127.0.0.1:9999", "127.0.0.1:7860")
    assert origin_allowed("https://crm.example.com", "coach.example.com", extra={"https://crm.example.com"})


@pytest.fixture
def live(db, tmp_path):
    """The live routes behind the real credential checks (users and tokens in this test's database) and the
    real edge limits, with fake detection, on uvicorn configured as `coach serve` configures it."""
    import uvicorn
    from fastapi import FastAPI

    from coach.live import LiveKit
    from coach.live.fakes import CueDetector, CueJudge, tiny_index
    from coach.users import add_user
    from knowledge.playbooks import load_playbooks
    from ui.edge_limits import BodyLimitMiddleware
    from ui.live_api import register_live_routes
    from ui.server import uvicorn_config

    playbooks = load_playbooks()
    kit = LiveKit(detector=CueDetector(), playbooks=playbooks, index=tiny_index(tmp_path / "idx"),
                  judge=CueJudge(playbooks))
    add_user("rep-zh", "secret-zh", "trainee")
    api = FastAPI()
    api.add_middleware(BodyLimitMiddleware)
    register_live_routes(api, new_call=kit.new_call)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(api, port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, timeout=30)
    yield {"url": f"http://127.0.0.1:{port}", "ws": f"ws://127.0.0.1:{port}/api/live/ws", "host": f"127.0.0.1:{port}"}
    server.should_exit = True
    thread.join(timeout=10)


def _ev(text: str, speaker: str = "customer") -> bytes:
    return (json.dumps({"speaker": speaker, "text": text}, ensure_ascii=False) + "\n").encode()


def _basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("text, objection", [("你们的价格太贵了", "price"), ("We don't need it", "need")])
def test_ndjson_needs_a_token_or_a_password(live, text, objection):
    url = live["url"] + "/api/live/hints"
    token = _new_token("crm")
    with httpx.Client(timeout=30) as client:
        anonymous = client.post(url, content=_ev(text))
        assert anonymous.status_code == 401 and "coach tokens add" in anonymous.json()["detail"]
        assert "Bearer" in anonymous.headers["www-authenticate"]
        assert client.post(url, content=_ev(text), headers={"Authorization": "Bearer ct_forged"}).status_code == 401
        assert client.post(url, content=_ev(text), headers=_basic("rep-zh", "wrong")).status_code == 401
        for headers in ({"Authorization": f"Bearer {token}"}, _basic("rep-zh", "secret-zh")):
            answer = client.post(url, content=_ev(text), headers=headers)
            assert answer.status_code == 200
            assert json.loads(answer.text.splitlines()[0])["objection"] == objection
        evil = client.post(url, content=_ev(text), headers={"Authorization": f"Bearer {token}",
                                                            "Origin": "https://evil.example"})
        assert evil.status_code == 403
        _cli("tokens", "revoke", "crm")
        assert client.post(url, content=_ev(text), headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.parametrize("long_text", ["太贵了" * 400, "too expensive " * 80])
def test_ndjson_refuses_long_utterances_and_lines_and_goes_on(live, long_text):
    token = _new_token("dialer")
    body = [_ev(long_text), b'{"speaker": "customer", "text": "' + b"x" * 40_000 + b'"}\n', _ev("太贵了")]
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        answer = client.post(live["url"] + "/api/live/hints", content=iter(body))
    hints = [json.loads(line) for line in answer.text.splitlines()]
    errors = [h for h in hints if h["type"] == "error"]
    assert [e["line"] for e in errors] == [1, 2]
    assert "the limit is 1000" in errors[0]["message"] and "longer than 16384 bytes" in errors[1]["message"]
    assert any(h["type"] == "objection_card" and h["objection"] == "price" for h in hints)  # the stream went on


def test_websocket_credentials_origin_and_message_size(live):
    import websockets
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    token = _new_token("softphone")
    header = {"Authorization": f"Bearer {token}"}

    async def refused(url, **kw) -> int:
        try:
            async with websockets.connect(url, **kw):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    async def closed_by(payload: str) -> tuple[int, str]:
        async with websockets.connect(live["ws"], additional_headers=header, max_size=None) as ws:
            await ws.send(payload)
            try:
                await asyncio.wait_for(ws.recv(), 20)
            except ConnectionClosed as exc:
                return exc.rcvd.code, exc.rcvd.reason
        return 0, ""

    async def session():
        assert await refused(live["ws"]) == 401
        assert await refused(live["ws"], additional_headers={"Authorization": "Bearer ct_nope"}) == 401
        assert await refused(live["ws"], additional_headers=header, origin="https://evil.example") == 403
        same = f"http://{live['host']}"
        async with websockets.connect(live["ws"], additional_headers=header, origin=same) as ws:  # the app's own page
            await ws.send(json.dumps({"speaker": "customer", "text": "你们的价格太贵了"}, ensure_ascii=False))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["objection"] == "price"
        async with websockets.connect(f"{live['ws']}?token={token}") as ws:  # a browser cannot set headers
            await ws.send(json.dumps({"speaker": "customer", "text": "We don't need it"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["objection"] == "need"
        code, reason = await closed_by(json.dumps({"speaker": "customer", "text": "贵" * 7_000}, ensure_ascii=False))
        assert code == 1009 and "16384" in reason
        code, _ = await closed_by(json.dumps({"speaker": "customer", "text": "x" * 3_000_000}))
        assert code == 1009  # 3 MB: uvicorn drops it after 64 KB, never buffering it whole

    asyncio.run(session())


@pytest.mark.parametrize("change", ["passwd", "disable"])
def test_api_password_cache_ends_when_the_password_changes_or_the_account_is_disabled(db, change):
    """The API remembers a good password for a few minutes (no bcrypt per turn), but only as long as the stored
    hash is the one it was checked against: `coach users passwd` or `disable` takes effect at the next request."""
    from coach.users import add_user, authenticate, set_disabled, set_password
    from ui.api_auth import ApiCredentials

    calls = []

    def counting(username, password):
        calls.append(username)
        return authenticate(username, password)

    add_user("api-amy", "old-pass-1", "trainee")
    creds = ApiCredentials(authenticate=counting)
    assert creds.user("api-amy", "old-pass-1").name == "api-amy"
    assert creds.user("api-amy", "old-pass-1").name == "api-amy"
    assert calls == ["api-amy"]  # the second request was served from the cache
    if change == "passwd":
        set_password("api-amy", "new-pass-2")
    else:
        set_disabled("api-amy")
    assert creds.user("api-amy", "old-pass-1") is None
    if change == "passwd":
        assert creds.user("api-amy", "new-pass-2").name == "api-amy"


@pytest.mark.parametrize("text", ["你们的价格太贵了", "That's too expensive"])
def test_a_locked_out_name_gets_429_with_retry_after_on_the_live_api(live, text):
    """After too many wrong passwords even the right one is refused, with 429 and when to retry (not 401)."""
    from coach.login_throttle import LoginThrottle, set_throttle

    set_throttle(LoginThrottle(max_failures=3, address_max_failures=50, lockout_seconds=900))
    try:
        url = live["url"] + "/api/live/hints"
        with httpx.Client(timeout=30) as client:
            codes = [client.post(url, content=_ev(text), headers=_basic("rep-zh", "wrong")).status_code
                     for _ in range(3)]
            assert codes[0] == 401  # a plain wrong password first
            locked = client.post(url, content=_ev(text), headers=_basic("rep-zh", "secret-zh"))
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
            assert "try again" in locked.json()["detail"]
    finally:
        set_throttle(None)
