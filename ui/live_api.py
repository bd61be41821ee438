"""HTTP beside the Gradio app for dialers and call recorders: NDJSON streaming and a WebSocket.

``POST /api/live/hints``: the request body is NDJSON transcript events (it may keep streaming while the call
goes on); the response streams one hint event per line as each event is processed.
``/api/live/ws``: send one JSON event per message, receive one message per hint event.
Both keep going after a malformed event (an ``error`` event says what was wrong) and let a client vanish
mid-stream without harm. The protocol is documented in docs/live-api.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

log = logging.getLogger(__name__)

NDJSON = "application/x-ndjson"
MAX_LINE = 64 * 1024  # an event longer than this is an error, not a memory leak


def _default_factory():
    from coach.live import default_kit

    return default_kit().new_call


async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    """Split a byte stream into (line number, line) as the bytes arrive, whatever the chunking."""
    buffer = b""
    number = 0
    async for chunk in chunks:
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            number += 1
            yield number, line
        if len(buffer) > MAX_LINE:
            number += 1
            buffer = b""
            yield number, b"\x00too-long"
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


def register_live_routes(api, new_call: Callable | None = None) -> None:
    """Add the live-hint endpoints to a FastAPI app. ``new_call()`` returns a fresh LiveAssist (tests pass fakes)."""
    response_class = _duplex_response_class()

    state: dict[str, Callable] = {}

    async def make_call():
        if new_call is not None:
            return new_call()
        if "factory" not in state:  # the first call loads the detector and the index: off the event loop
            state["factory"] = await run_in_threadpool(_default_factory)
        return state["factory"]()

    async def handle(assist, number: int, line: bytes) -> list[str]:
        if line == b"\x00too-long":
            return [json.dumps({"type": "error", "message": f"line {number}: longer than {MAX_LINE} bytes; "
                                "send one event per line", "line": number, "latency_ms": 0.0})]
        if not line.strip():
            return []
        hints = await run_in_threadpool(assist.process_raw, line, number)
        return [h.model_dump_json() for h in hints]

    @api.post("/api/live/hints", tags=["live"])
    async def live_hints(request: Request):
        """Stream NDJSON transcript events in; stream NDJSON hint events out, one per line."""
        assist = await make_call()

        async def body() -> AsyncIterator[str]:
            try:
                async for number, line in _lines(request.stream()):
                    for out in await handle(assist, number, line):
                        yield out + "\n"
            except ClientDisconnect:
                log.info("live hints: client went away mid-stream")
            except asyncio.CancelledError:
                log.info("live hints: stream cancelled")
                raise

        return response_class(body(), media_type=NDJSON, headers={"Cache-Control": "no-store",
                                                                      "X-Accel-Buffering": "no"})

    @api.websocket("/api/live/ws")
    async def live_ws(socket: WebSocket) -> None:
        """One JSON transcript event per message in; one JSON hint event per message out."""
        await socket.accept()
        assist = await make_call()
        number = 0
        try:
            while True:
                message = await socket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text")
                if raw is None:
                    raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
                number += 1
                for out in await handle(assist, number, raw.encode("utf-8")):
                    await socket.send_text(out)
        except WebSocketDisconnect:
            log.info("live ws: client went away")
        except RuntimeError as exc:  # sending after the client closed
            log.info("live ws: closed while sending (%s)", exc)
