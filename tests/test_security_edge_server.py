"""Issue 16, item 1 end to end: the real app (`ui.server.build_asgi`, real detector, index and embedder on the
sample data) stays alive while a client sends a 3 MB WebSocket message, another a 6,000-character line, and 30
more send small requests at once: /healthz answers within a second throughout (a liveness check, not a speed
claim; speed is `python -m evals.bench.overload`)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest


@pytest.fixture
def real_server(seeded_home):
    """The real app in its own process (``evals.bench.server``: ``build_asgi`` behind uvicorn configured as
    `coach serve` configures it), so the clients' own work in this process cannot slow the server down."""
    from coach.tokens import add_token
    from evals.bench.concurrency import start_server, stop_server

    _, token = add_token("edge-test")
    proc, url = start_server(seeded_home)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        warm = httpx.post(f"{url}/api/live/hints", content=_ev("太贵了"), headers=headers, timeout=600)
        assert warm.status_code == 200
        yield {"url": url, "ws": url.replace("http://", "ws://") + "/api/live/ws", "headers": headers}
    finally:
        stop_server(proc)


def _ev(text: str) -> bytes:
    return (json.dumps({"speaker": "customer", "text": text}, ensure_ascii=False) + "\n").encode()


class HealthWatch(threading.Thread):
    """Polls /healthz until stopped; keeps the slowest answer and any failure."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.worst, self.failures, self.polls = url, threading.Event(), 0.0, [], 0

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                began = time.perf_counter()
                try:
                    ok = client.get(self.url + "/healthz").json() == {"ok": True}
                except httpx.HTTPError as exc:
                    ok = False
                    self.failures.append(repr(exc))
                self.worst = max(self.worst, time.perf_counter() - began)
                self.polls += 1
                if not ok and not self.failures:
                    self.failures.append("unexpected answer")
                time.sleep(0.1)


@pytest.mark.slow
def test_huge_messages_and_a_crowd_do_not_freeze_the_server(real_server):
    import websockets
    from websockets.exceptions import ConnectionClosed

    url, headers = real_server["url"], real_server["headers"]
    watch = HealthWatch(url)
    watch.start()
    for _ in range(100):  # the watch is polling before the load starts
        if watch.polls:
            break
        time.sleep(0.05)

    async def huge_ws() -> int:
        async with websockets.connect(real_server["ws"], additional_headers=headers, max_size=None) as ws:
            await ws.send(json.dumps({"speaker": "customer", "text": "价格太贵了" * 200_000}, ensure_ascii=False))
            try:
                await asyncio.wait_for(ws.recv(), 60)
            except ConnectionClosed as exc:
                return exc.rcvd.code
        return 0

    # one client for everyone (thread-safe, connections pooled): a new client per request builds an SSL context,
    # and thirty of those at once would slow this process, and the /healthz timing taken in it, not the server
    shared = httpx.Client(headers=headers, timeout=300, limits=httpx.Limits(max_connections=40))

    def small(i: int) -> int:
        text = "你们的价格太贵了" if i % 2 else "It's too expensive for us"
        answer = shared.post(f"{url}/api/live/hints", content=_ev(text))
        kinds = {json.loads(line)["type"] for line in answer.text.splitlines()}
        assert answer.status_code == 200 and kinds, answer.text[:300]
        return answer.status_code

    try:
        with ThreadPoolExecutor(max_workers=33) as pool:
            ws_code = pool.submit(asyncio.run, huge_ws())
            long_zh = pool.submit(shared.post, f"{url}/api/live/hints", content=_ev("太贵了" * 2000))
            long_en = pool.submit(shared.post, f"{url}/api/live/hints", content=_ev("too expensive " * 430))
            crowd = [pool.submit(small, i) for i in range(30)]
            statuses = [f.result() for f in crowd]
            assert ws_code.result() == 1009
            zh_error = json.loads(long_zh.result().text.splitlines()[0])
            en_error = json.loads(long_en.result().text.splitlines()[0])
    finally:
        for _ in range(200):  # a fast machine finishes the load within a poll or two: keep watching a moment
            if watch.polls >= 3:
                break
            time.sleep(0.05)
        watch.stop.set()
        watch.join(20)
        shared.close()
    assert zh_error["type"] == "error" and "bytes" in zh_error["message"]
    assert en_error["type"] == "error" and "the limit is 1000" in en_error["message"]
    assert statuses == [200] * 30
    assert watch.polls >= 3 and not watch.failures
    assert watch.worst < 1.0, f"/healthz took {watch.worst:.2f} s at worst"
