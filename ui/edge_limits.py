"""Limits at the edge of the server, so that no client can freeze it: request body size, and a bounded queue
for heavy work (grading a turn, processing a live utterance).

Why: one 3 MB WebSocket line used to be embedded whole while every other request waited for a worker thread,
/healthz included. Here a body over its cap is refused with 413 before it is read, and heavy work takes a
slot from a ``WorkGate``: a few run at once, a bounded number wait, and the rest are told 503 at once
(with ``Retry-After``) instead of hanging. /healthz never touches the gate.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.exceptions import HTTPException

MAX_BODY_BYTES = 2 * 1024 * 1024  # any JSON request (the Gradio page's chat history included) fits well under
MAX_LIVE_BODY_BYTES = 8 * 1024 * 1024  # one streamed call: hours of transcript
MAX_EVENT_BYTES = 16 * 1024  # one live event (NDJSON line or WebSocket message)
WS_PROTOCOL_MAX_BYTES = 64 * 1024  # uvicorn drops a larger WebSocket message after reading this much (close 1009)
RETRY_AFTER_SECONDS = 2

# Gradio's file upload has its own size limit (max_file_size); the live stream counts its own bytes per line.
UNCAPPED_PREFIXES = ("/gradio_api/upload",)
SELF_LIMITED = {"/api/live/hints": MAX_LIVE_BODY_BYTES}


class Overloaded(Exception):
    """Every work slot is busy and the waiting line is full (or the wait ran out): answer 503, retry later."""


class WorkGate:
    """At most ``slots`` heavy jobs run at once; at most ``queue`` more wait, each up to ``wait_s`` seconds.

    One gate per server, created on its event loop's side (asyncio primitives bind to the loop that first
    uses them). Requests beyond the queue fail fast: a bounded line keeps latency bounded for those admitted.
    """

    def __init__(self, slots: int = 4, queue: int = 64, wait_s: float = 60.0) -> None:
        self.slots, self.queue, self.wait_s = slots, queue, wait_s
        self._sem = asyncio.Semaphore(slots)
        self._waiting = 0
        self.refused = 0

    @classmethod
    def from_settings(cls) -> WorkGate:
        from knowledge.settings import get_settings

        settings = get_settings()
        return cls(slots=settings.work_slots, queue=settings.work_queue)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._sem.locked() and self._waiting >= self.queue:
            self.refused += 1
            raise Overloaded(f"the server is busy ({self.slots} running, {self._waiting} waiting); "
                             f"retry in {RETRY_AFTER_SECONDS} s")
        self._waiting += 1
        try:
            await asyncio.wait_for(self._sem.acquire(), self.wait_s)
        except TimeoutError:
            self.refused += 1
            raise Overloaded(f"the server is busy (waited {self.wait_s:.0f} s for a free slot); "
                             f"retry in {RETRY_AFTER_SECONDS} s") from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._sem.release()


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body without Content-Length grows past its cap. An HTTPException, so
    that FastAPI's body parser passes it on (it turns other errors into a vague 400) and it renders as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def _limit_for(path: str, default: int) -> int | None:
    if path.startswith(UNCAPPED_PREFIXES) or path in SELF_LIMITED:
        return None
    return default


async def _send_json(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def too_large_message(limit: int) -> str:
    return f"request body larger than {limit} bytes; send less (one reply, one event) per request"


class BodyLimitMiddleware:
    """Refuses HTTP bodies over ``max_body`` with 413: by Content-Length before reading, else while reading."""

    def __init__(self, app, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = _limit_for(path, self.max_body)
        declared = SELF_LIMITED.get(path, limit)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and length is not None and length.isdigit() and int(length) > declared:
            await _send_json(send, 413, too_large_message(declared))
            return
        if limit is None:
            await self.app(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, too_large_message(limit))


def overloaded_headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}
