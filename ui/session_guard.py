"""Make a Gradio session usable only from the browser that opened it, and sign out idle tabs.

Why: the page keeps the signed-in user in a per-session ``gr.State``, and Gradio finds a session by the
``session_hash`` the client sends. Anyone who learnt a hash (a log, a shared screen, a proxy) could send
events, or read the result stream, as the signed-in user. Two guards close that:

* ``SessionBinding`` (ASGI middleware) gives every browser a random HttpOnly cookie and ties each session
  hash to the cookie that first used it; a request carrying a known hash with another (or no) cookie is
  refused with 403 before Gradio sees it. The hash is looked for where Gradio reads it: the path
  (heartbeat, stream), the query (queue/data, deep_link) and JSON bodies (queue/join, cancel, run, call …).
* ``SignedInBlocks`` checks, before every event, that the signed-in user still comes from the browser that
  signed in and has acted within ``COACH_SIGNIN_IDLE_MINUTES``; otherwise it signs the tab out (the page then
  shows the sign-in form). Timer ticks are not activity: an open page alone never keeps a sign-in alive.

The bindings live in this process's memory, like Gradio's sessions themselves.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

import gradio as gr

COOKIE = "coach_client"
MAX_BODY = 4 * 1024 * 1024  # a Gradio event body is JSON of the inputs; files go through /upload
REFUSED = {"error": "这个会话属于另一个浏览器，请刷新页面并重新登录 / "
                    "This session belongs to another browser; reload the page and sign in"}
BUSY = {"error": "服务器会话已满，请稍后再试 / Too many open sessions on the server; try again later"}
_PATH_HASH = re.compile(r"/gradio_api/(?:heartbeat|stream)/([^/]+)/?(?:[^/]+/[^/]+/.+)?$")


def client_digest(cookie: str | None) -> str:
    """What is stored for a browser cookie (never the cookie itself); '' for a client without one."""
    return hashlib.sha256(cookie.encode()).hexdigest() if cookie else ""


def request_client(request) -> str:
    """The client digest behind a ``gr.Request`` (or a Starlette request)."""
    if isinstance(request, gr.Request):
        cookies = request.request.cookies if request.request is not None else request.kwargs.get("cookies") or {}
    else:
        cookies = getattr(request, "cookies", None) or {}
    return client_digest(cookies.get(COOKIE))


def _cookie_of(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed Cookie header is treated as no cookie
                return None
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def _header(scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return ""


class SessionBinding:
    """ASGI middleware: issue the client cookie and refuse a session hash used from another client."""

    def __init__(self, app, capacity: int = 50_000, keep_seconds: float = 24 * 3600) -> None:
        self.app = app
        self._owners: OrderedDict[str, tuple[str, float]] = OrderedDict()  # hash -> (client, last use)
        self._capacity = capacity
        self._keep = keep_seconds
        self._lock = threading.Lock()

    def bind(self, session_hash: str, client: str, now: float | None = None) -> str:
        """``ok`` when ``client`` may use ``session_hash`` (the first client to use a hash owns it), ``other``
        when another client owns it, ``full`` when no new session can be tied now.

        A binding is dropped only after ``keep_seconds`` unused: flooding the table with new hashes must not
        push out a live tab's binding so that its hash could be claimed again."""
        now = time.monotonic() if now is None else now
        with self._lock:
            found = self._owners.get(session_hash)
            if found is None:
                while len(self._owners) >= self._capacity:
                    oldest = next(iter(self._owners.values()))
                    if now - oldest[1] < self._keep:
                        return "full"
                    self._owners.popitem(last=False)
                found = (client, now)
            elif not secrets.compare_digest(found[0], client):
                return "other"
            self._owners[session_hash] = (found[0], now)
            self._owners.move_to_end(session_hash)
        return "ok"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = _cookie_of(scope)
        path = scope.get("path", "")
        if "/gradio_api/" in path:
            session_hash, receive = await self._session_hash(scope, receive, path)
            if session_hash is False:
                await _json(send, 413, {"error": "request body too large"})
                return
            verdict = self.bind(str(session_hash), client_digest(cookie)) if session_hash else "ok"
            if verdict != "ok":
                await _json(send, 403, REFUSED) if verdict == "other" else await _json(send, 503, BUSY)
                return
        if cookie:
            await self.app(scope, receive, send)
            return
        issued = secrets.token_urlsafe(32)
        secure = scope.get("scheme") == "https" or _header(scope, b"x-forwarded-proto") == "https"
        set_cookie = (f"{COOKIE}={issued}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")).encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", set_cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _session_hash(self, scope, receive, path):
        """(hash or None, receive to pass on); (False, _) when the body is over the cap."""
        found = _PATH_HASH.search(path)
        if found:
            return found.group(1), receive
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("session_hash"):
            return query["session_hash"][0], receive
        if scope.get("method") != "POST" or "json" not in _header(scope, b"content-type"):
            return None, receive
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY:
                return False, receive
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        value = data.get("session_hash") if isinstance(data, dict) else None
        return (value if isinstance(value, str) and value else None), replay


async def _json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def signed_in(user: dict, request) -> dict:
    """The user state to keep after a successful sign-in: bound to this browser, activity now."""
    return {**user, "client": request_client(request), "seen": time.time()}


def only_ticks(block_fn) -> bool:
    """True for events that only a timer fires: they are not the user acting."""
    targets = getattr(block_fn, "targets", None) or []
    return bool(targets) and all(event == "tick" for _, event in targets)


class SignedInBlocks(gr.Blocks):
    """Blocks that sign a tab out when its user state came from another browser or has been idle too long.

    ``create_app`` sets ``user_state`` (the gr.State with the signed-in user) and ``signed_out`` (a gr.State the
    page reads to show the sign-in form again)."""

    user_state: gr.State | None = None
    signed_out: gr.State | None = None

    def idle_seconds(self) -> float:
        from knowledge.settings import get_settings

        return get_settings().signin_idle_minutes * 60

    def check_session(self, block_fn, state, request) -> None:
        if state is None or self.user_state is None:
            return
        key = self.user_state._id
        user = state.state_data.get(key)
        if not isinstance(user, dict) or "seen" not in user:
            return
        if isinstance(block_fn, int):
            block_fn = self.fns[block_fn]
        request = request[0] if isinstance(request, list) and request else request
        now = time.time()
        stolen = request is not None and not secrets.compare_digest(user.get("client", ""), request_client(request))
        if stolen or now - user["seen"] > self.idle_seconds():
            state[key] = None
            if self.signed_out is not None:
                state[self.signed_out._id] = "idle" if not stolen else "other_browser"
        elif not only_ticks(block_fn):
            user["seen"] = now

    async def process_api(self, block_fn, inputs, state=None, request=None, *args, **kwargs):
        self.check_session(block_fn, state, request)
        return await super().process_api(block_fn, inputs, state, request, *args, **kwargs)
