"""HTTP beside the Gradio app for dialers and call recorders: NDJSON streaming and a WebSocket.

``POST /api/live/hints``: the request body is NDJSON transcript events (it may keep streaming while the call
goes on); the response streams one hint event per line as each event is processed.
``/api/live/ws``: send one JSON event per message, receive one message per hint event.
Both keep going after a malformed event (an ``error`` event says what was wrong) and let a client vanish
mid-stream without harm. The protocol is documented in docs/live-api.md.

Both need a credential (an API token or a user's password, ``ui.api_auth``); a browser's ``Origin`` must be
this server's own or listed. Limits (``ui.edge_limits``): an event over MAX_EVENT_BYTES or an utterance over
MAX_UTTERANCE_CHARS gets an ``error`` event (a WebSocket message over the cap closes it with 1009), a call
over MAX_LIVE_BODY_BYTES ends, and each event's processing takes a slot of the server's work gate.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable

import anyio
import anyio.to_thread
from fastapi import Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse

from coach.text_limits import utterance_problem
from ui.api_auth import CHALLENGE, ApiCredentials, Throttled, origin_allowed
from ui.edge_limits import MAX_EVENT_BYTES, MAX_LIVE_BODY_BYTES, Overloaded, WorkGate

log = logging.getLogger(__name__)

NDJSON = "application/x-ndjson"
MAX_LINE = MAX_EVENT_BYTES  # an event longer than this is an error, not a memory leak
AUTH_THREADS = 2  # credential checks (a database read, or bcrypt once per few minutes) running at once
TOO_LONG = b"\x00too-long"
CALL_TOO_LONG = b"\x00call-too-long"
SIGN_IN = ("sign in: send 'Authorization: Bearer <token>' (an API token from 'coach tokens add') "
           "or HTTP Basic with a user's name and password")


def _default_factory():
    from coach.live import default_kit

    return default_kit().new_call


async def _lines(chunks: AsyncIterator[bytes], max_total: int = MAX_LIVE_BODY_BYTES
                 ) -> AsyncIterator[tuple[int, bytes]]:
    """Split a byte stream into (line number, line) as the bytes arrive, whatever the chunking.

    A line over MAX_LINE becomes one TOO_LONG marker and its remaining bytes are skipped up to the next
    newline (never buffered); past ``max_total`` bytes the call ends with CALL_TOO_LONG.
    """
    buffer = b""
    number = 0
    total = 0
    skipping = False
    async for chunk in chunks:
        total += len(chunk)
        if total > max_total:
            yield number + 1, CALL_TOO_LONG
            return
        if skipping:
            cut = chunk.find(b"\n")
            if cut < 0:
                continue
            chunk, skipping = chunk[cut + 1:], False
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:  # one pass: a chunk of many short lines stays linear
            line, start = buffer[start:end], end + 1
            number += 1
            yield number, (TOO_LONG if len(line) > MAX_LINE else line)
        buffer = buffer[start:]
        if len(buffer) > MAX_LINE:
            number += 1
            buffer, skipping = b"", True
            yield number, TOO_LONG
    if buffer.strip():
        yield number + 1, buffer


def _duplex_response_class():
    from starlette.responses import StreamingResponse

    class DuplexStreamingResponse(StreamingResponse):
        """Streams while the request body is still arriving.

        Starlette's StreamingResponse (ASGI spec < 2.4, which uvicorn reports) also listens for a
        disconnect by calling ``receive()``, which would swallow request-body chunks; here only the body
        reader receives, and it notices a disconnect itself.
        """

        async def __call__(self, scope, receive, send) -> None:
            try:
                await self.stream_response(send)
            except OSError:
                raise ClientDisconnect() from None

    return DuplexStreamingResponse


def _error(number: int, message: str) -> str:
    return json.dumps({"type": "error", "message": message, "line": number, "latency_ms": 0.0},
                      ensure_ascii=False)


def _precheck(line: bytes):
    """The event as a dict when it parses (so the assist does not parse it again), else the raw line;
    or an error message when its utterance is over MAX_UTTERANCE_CHARS."""
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):
        return line, None  # the assist reports bad JSON in its own words
    if isinstance(event, dict):
        problem = utterance_problem(event.get("text"))
        if problem:
            return None, problem
        return event, None
    return line, None


def register_live_routes(api, new_call: Callable | None = None, credentials: ApiCredentials | None = None,
                         gate: WorkGate | None = None) -> None:
    """Add the live-hint endpoints to a FastAPI app. ``new_call()`` returns a fresh LiveAssist (tests pass fakes);
    ``credentials`` checks who calls (default: users and API tokens in the database); ``gate`` bounds the work
    (default: one from the settings, shared by these two endpoints)."""
    response_class = _duplex_response_class()
    credentials = credentials or ApiCredentials()
    holder: dict = {}

    def work_gate() -> WorkGate:
        if gate is not None:
            return gate
        if "gate" not in holder:  # created inside the server's event loop, on first use
            holder["gate"] = WorkGate.from_settings()
        return holder["gate"]

    state: dict[str, Callable] = {}

    async def make_call():
        if new_call is not None:
            return new_call()
        if "factory" not in state:  # the first call loads the detector and the index: off the event loop
            state["factory"] = await run_in_threadpool(_default_factory)
        return state["factory"]()

    async def handle(assist, number: int, line: bytes) -> list[str]:
        if line == TOO_LONG:
            return [_error(number, f"line {number}: longer than {MAX_LINE} bytes; send one event per line")]
        if line == CALL_TOO_LONG:
            return [_error(number, f"line {number}: this call sent more than {MAX_LIVE_BODY_BYTES} bytes; "
                                   "the stream ends here, open a new one for the next call")]
        if not line.strip():
            return []
        event, problem = _precheck(line)
        if problem:
            return [_error(number, f"line {number}: {problem}")]
        try:
            async with work_gate().slot():
                hints = await run_in_threadpool(assist.process_raw, event, number)
        except Overloaded as exc:
            return [_error(number, f"line {number}: not processed: {exc}")]
        return [h.model_dump_json() for h in hints]

    async def caller_of(headers, query_token: str | None = None, address: str | None = None):
        # A few threads at a time: thirty sign-ins at once would crowd the event loop off the GIL (and /healthz
        # with it); the others wait their turn here, on the loop, at no cost.
        if "auth" not in holder:
            holder["auth"] = anyio.CapacityLimiter(AUTH_THREADS)
        return await anyio.to_thread.run_sync(credentials.from_header, headers.get("authorization"), query_token,
                                              address, limiter=holder["auth"])

    @api.post("/api/live/hints", tags=["live"])
    async def live_hints(request: Request):
        """Stream NDJSON transcript events in; stream NDJSON hint events out, one per line."""
        if not origin_allowed(request.headers.get("origin"), request.headers.get("host")):
            return JSONResponse({"detail": "this browser origin may not use the live API; the operator can add it "
                                           "to COACH_ALLOWED_ORIGINS"}, 403)
        try:
            caller = await caller_of(request.headers, None, request.client.host if request.client else None)
        except Throttled as exc:
            return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": str(exc.retry_after)})
        if caller is None:
            return JSONResponse({"detail": SIGN_IN}, 401, headers={"WWW-Authenticate": CHALLENGE})
        assist = await make_call()

        async def body() -> AsyncIterator[str]:
            try:
                async for number, line in _lines(request.stream()):
                    for out in await handle(assist, number, line):
                        yield out + "\n"
                    if line == CALL_TOO_LONG:
                        break
            except ClientDisconnect:
                log.info("live hints: client went away mid-stream")
            except asyncio.CancelledError:
                log.info("live hints: stream cancelled")
                raise

        return response_class(body(), media_type=NDJSON, headers={"Cache-Control": "no-store",
                                                                      "X-Accel-Buffering": "no"})

    async def deny(socket: WebSocket, status: int, message: str) -> None:
        """Refuse before accepting: an HTTP answer when the server can send one, else close 1008 with why."""
        if "websocket.http.response" in socket.scope.get("extensions", {}):
            headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
            await socket.send_denial_response(JSONResponse({"detail": message}, status, headers=headers))
        else:
            await socket.close(code=1008, reason=message[:120])

    @api.websocket("/api/live/ws")
    async def live_ws(socket: WebSocket) -> None:
        """One JSON transcript event per message in; one JSON hint event per message out."""
        if not origin_allowed(socket.headers.get("origin"), socket.headers.get("host")):
            await deny(socket, 403, "this browser origin may not use the live API (COACH_ALLOWED_ORIGINS)")
            return
        try:
            caller = await caller_of(socket.headers, socket.query_params.get("token"),
                                     socket.client.host if socket.client else None)
        except Throttled as exc:
            await deny(socket, 429, str(exc))
            return
        if caller is None:
            await deny(socket, 401, SIGN_IN)
            return
        await socket.accept()
        assist = await make_call()
        number = 0
        try:
            while True:
                message = await socket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text")
                data = raw.encode("utf-8") if raw is not None else (message.get("bytes") or b"")
                number += 1
                if len(data) > MAX_LINE:
                    await socket.close(code=1009, reason=f"message over {MAX_LINE} bytes; send one event each")
                    break
                for out in await handle(assist, number, data):
                    await socket.send_text(out)
        except WebSocketDisconnect:
            log.info("live ws: client went away")
        except RuntimeError as exc:  # sending after the client closed
            log.info("live ws: closed while sending (%s)", exc)
