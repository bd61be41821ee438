"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 that speaks the real wire protocol.

Shipped in the library (like pydantic-ai's TestModel) so tests, demos and evals can run the real
openai/langchain client code with no network. A ``handler`` decides each reply from the request.

It misbehaves on request the way real servers do: a slow drip (``chunk_delay``), no end of generation
(``endless``: only ``max_tokens`` stops it), ignored ``stop`` sequences, 429 with ``Retry-After``
(``headers``), a model name it does not serve (``models``), and a key it rejects (``api_key``).
Like a real server it honours ``max_tokens`` (one chunk = one token here) and ``stop``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeReply:
    """What the fake server answers: text, or an HTTP error, optionally after a delay."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    chunk_size: int = 4
    chunk_delay: float = 0.0  # seconds between streamed chunks (a slow drip)
    endless: bool = False  # repeat the text without end: only max_tokens (or the client) stops it
    ignore_stop: bool = False  # a server that does not honour the request's stop sequences
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"Retry-After": "1"} on a 429
    message: str = ""  # the error message in the body of a non-200 answer


Handler = Callable[[dict[str, Any]], "FakeReply | str"]


@dataclass
class FakeOpenAIServer:
    """Run with ``with FakeOpenAIServer(handler) as srv:``; ``srv.base_url`` ends in ``/v1``."""

    handler: Handler = lambda request: FakeReply("好的。")
    requests: list[dict[str, Any]] = field(default_factory=list)
    api_key: str = "sk-fake"
    models: list[str] = field(default_factory=lambda: ["fake-model"])
    json_mode: bool = True  # False: reject response_format like a server without JSON mode

    def __post_init__(self) -> None:
        outer = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError):  # the client hung up (deadline, stop): fine
                    self.close_connection = True

            def do_GET(self):
                if self.headers.get("Authorization") != f"Bearer {outer.api_key}":
                    self._json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                               "code": "invalid_api_key"}})
                elif self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in outer.models]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.headers.get("Authorization") != f"Bearer {outer.api_key}":
                    self._json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                               "code": "invalid_api_key"}})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"unknown path {self.path}"}})
                    return
                outer.requests.append(body)
                if body.get("model") not in outer.models:
                    self._json(404, {"error": {"message": f"The model `{body.get('model')}` does not exist",
                                               "type": "invalid_request_error", "code": "model_not_found"}})
                    return
                if body.get("response_format") and not outer.json_mode:
                    self._json(400, {"error": {"message": "response_format is not supported by this server",
                                               "type": "invalid_request_error"}})
                    return
                reply = outer.handler(body)
                if isinstance(reply, str):
                    reply = FakeReply(reply)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": reply.message or f"fake error {reply.status}",
                                                        "type": "server_error"}}, reply.headers)
                    return
                if body.get("stream"):
                    self._stream(body, reply)
                else:
                    pieces, finish = _pieces(body, reply)
                    self._json(200, _completion(body, "".join(pieces), finish))

            def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, reply: FakeReply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces, finish = _pieces(body, reply)
                first = True
                for piece in pieces:
                    delta = {"content": piece}
                    if first:
                        delta["role"] = "assistant"
                        first = False
                    self._event(_chunk(body, delta, None))
                    if reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                self._event(_chunk(body, {}, finish))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, payload: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


ENDLESS_LIMIT = 5000  # chunks an "endless" reply sends when the request sets no max_tokens


def _pieces(body: dict, reply: FakeReply):
    """The reply's chunks after the server-side caps a real server applies: stop sequences, then max_tokens.
    Returns a lazy iterator (an endless reply is generated as it is sent) and the finish reason."""
    text = reply.text
    stops = body.get("stop") or []
    stops = [stops] if isinstance(stops, str) else stops
    if not reply.ignore_stop and not reply.endless:
        for word in stops:
            if word and word in text:
                text = text[:text.index(word)]
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    size = max(1, reply.chunk_size)
    if reply.endless:
        source = (text or "啊")
        count = int(limit) if limit else ENDLESS_LIMIT
        step = [source[i:i + size] for i in range(0, len(source), size)]
        return (step[i % len(step)] for i in range(count)), "length"
    chunks = [text[i:i + size] for i in range(0, len(text), size)] or [""]
    if limit and len(chunks) > int(limit):
        return iter(chunks[:int(limit)]), "length"
    return iter(chunks), "stop"


def _completion(body: dict, text: str, finish: str = "stop") -> dict:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": max(1, len(text)), "total_tokens": 1 + max(1, len(text))},
    }


def _chunk(body: dict, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
