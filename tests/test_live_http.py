"""Live HTTP endpoints over a real socket: NDJSON streaming both ways, WebSocket, disconnects, malformed events."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest
from conftest import free_port, wait_for_port

TOKEN = "ct_live-http-test-token"  # the fixture's credential checker accepts this one token
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RAW_AUTH = f"Authorization: Bearer {TOKEN}\r\n".encode()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """uvicorn in a thread on a free 127.0.0.1 port, serving only the live routes with fake collaborators."""
    import uvicorn
    from fastapi import FastAPI

    from coach.live import LiveKit
    from coach.live.fakes import CueDetector, CueJudge, tiny_index
    from knowledge.playbooks import load_playbooks
    from ui.api_auth import ApiCredentials
    from ui.live_api import register_live_routes

    playbooks = load_playbooks()
    kit = LiveKit(detector=CueDetector(), playbooks=playbooks, index=tiny_index(tmp_path_factory.mktemp("idx")),
                  judge=CueJudge(playbooks))
    calls = []

    def new_call():
        calls.append(kit.new_call())
        return calls[-1]

    api = FastAPI()
    known = type("Token", (), {"id": 1, "name": "test-dialer"})
    credentials = ApiCredentials(verify_token=lambda token: known if token == TOKEN else None)
    register_live_routes(api, new_call=new_call, credentials=credentials)

    @api.get("/healthz")
    def healthz():
        return {"ok": True}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, timeout=30)
    yield {"url": f"http://127.0.0.1:{port}", "ws": f"ws://127.0.0.1:{port}/api/live/ws", "calls": calls}
    server.should_exit = True
    thread.join(timeout=10)


def ev(speaker, text, **extra) -> bytes:
    return (json.dumps({"speaker": speaker, "text": text, **extra}, ensure_ascii=False) + "\n").encode()


def test_ndjson_stream_returns_hints_per_line_and_survives_bad_lines(live_server):
    body = [ev("customer", "你们的价格太贵了", ts=1), b"{oops\n", ev("boss", "hi"), ev("customer", "We don't need it", ts=9)]
    with httpx.Client(timeout=30, headers=AUTH) as client:
        with client.stream("POST", live_server["url"] + "/api/live/hints", content=iter(body)) as response:
            assert response.headers["content-type"].startswith("application/x-ndjson")
            hints = [json.loads(line) for line in response.iter_lines() if line.strip()]
    kinds = [h["type"] for h in hints]
    assert kinds[0] == "objection_card" and hints[0]["objection"] == "price" and hints[0]["lang"] == "zh"
    errors = [h for h in hints if h["type"] == "error"]
    assert [e["line"] for e in errors] == [2, 3]
    assert "not valid JSON" in errors[0]["message"] and "'speaker'" in errors[1]["message"]
    last = [h for h in hints if h["utterance"] == 2 and h["type"] == "objection_card"]
    assert last and last[0]["objection"] == "need"  # the event after the errors was still processed
    assert all("latency_ms" in h for h in hints)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _read_until(sock, marker: bytes, seen: bytes = b"") -> bytes:
    while marker not in seen:
        data = sock.recv(65536)
        if not data:
            raise AssertionError(f"connection closed before {marker!r} arrived; got {seen[-300:]!r}")
        seen += data
    return seen


def test_ndjson_hints_arrive_while_the_request_is_still_streaming(live_server):
    """Full duplex: the first card comes back before the client has finished sending the call.

    httpx sends the whole body before reading, so this client speaks chunked HTTP/1.1 on a raw socket.
    """
    import socket

    port = int(live_server["url"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(b"POST /api/live/hints HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n" + RAW_AUTH +
                     b"Transfer-Encoding: chunked\r\n\r\n" + _chunk(ev("customer", "太贵了")))
        seen = _read_until(sock, b"objection_card")  # the body is still open: no terminating chunk yet
        assert b"procurement_meeting" not in seen
        sock.sendall(_chunk(ev("customer", "我们下周要开采购会")) + b"0\r\n\r\n")
        seen = _read_until(sock, b"procurement_meeting", seen)
    assert seen.startswith(b"HTTP/1.1 200")


def test_client_disconnecting_mid_stream_does_not_break_the_server(live_server):
    import socket

    port = int(live_server["url"].rsplit(":", 1)[1])
    for _ in range(3):  # hang up mid-stream a few times: with the body open, and mid-line
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        sock.sendall(b"POST /api/live/hints HTTP/1.1\r\nHost: 127.0.0.1\r\n" + RAW_AUTH + b"Transfer-Encoding: chunked\r\n\r\n"
                     + _chunk(ev("customer", "太贵了")))
        _read_until(sock, b"objection_card")
        sock.sendall(_chunk(b'{"speaker": "customer", "text": "half a li'))
        sock.close()
    with httpx.Client(timeout=30, headers=AUTH) as client:
        assert client.get(live_server["url"] + "/healthz").json() == {"ok": True}
        again = client.post(live_server["url"] + "/api/live/hints", content=ev("customer", "too expensive"))
    assert json.loads(again.text.splitlines()[0])["objection"] == "price"


def test_websocket_events_hints_malformed_and_disconnect(live_server):
    import websockets

    async def session():
        async with websockets.connect(live_server["ws"], additional_headers=AUTH) as ws:
            await ws.send("not json at all")
            error = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert error["type"] == "error" and "not valid JSON" in error["message"]
            await ws.send(json.dumps({"speaker": "customer", "text": "预算已经批下来了，但是太贵了"}, ensure_ascii=False))
            hints = []
            while not any(h["type"] == "objection_card" for h in hints):
                hints.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            assert hints[0]["objection"] == "price"
            await ws.send(json.dumps({"speaker": "customer", "text": "下个月招标"}, ensure_ascii=False))
            # close without reading the answer: the server must cope
        async with websockets.connect(live_server["ws"], additional_headers=AUTH) as ws:  # and still serve the next client
            await ws.send(json.dumps({"speaker": "customer", "text": "We don't need it"}))
            hint = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert hint["type"] == "objection_card" and hint["objection"] == "need" and hint["lang"] == "en"

    asyncio.run(session())


def test_each_connection_is_its_own_call(live_server):
    """Cooldown state is per call: a second stream gets the same card again."""
    with httpx.Client(timeout=30, headers=AUTH) as client:
        for _ in range(2):
            response = client.post(live_server["url"] + "/api/live/hints", content=ev("customer", "太贵了"))
            assert json.loads(response.text.splitlines()[0])["type"] == "objection_card"
