"""A small JSON HTTP API for practice sessions, beside the Gradio app (load tests and scripted clients use it).

``POST /api/practice/sessions`` {scenario_id, seed?} → the session and the customer's opening line;
``POST /api/practice/sessions/{id}/replies`` {text} → the stored turn: grade and the customer's answer;
``GET /api/practice/sessions/{id}`` → the stored transcript (what survives a restart).
Every request signs in with HTTP Basic (``coach.users.authenticate``); the session start also accepts
``username``/``password`` in the body. A session belongs to the user who started it, and a locked
scenario is refused (403, saying what unlocks it) exactly as on the Practice page.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable

from fastapi import Depends, HTTPException
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

MAX_REPLY_CHARS = 4000  # a reply longer than this is a mistake (a pasted file), not a turn
AUTH_TTL_SECONDS = 300.0


class StartRequest(BaseModel):
    scenario_id: str = Field(min_length=1, max_length=200)
    seed: int | None = None
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200)


class ReplyRequest(BaseModel):
    text: str = Field(max_length=MAX_REPLY_CHARS)


class _AuthCache:
    """Remembers a successful bcrypt check for a few minutes, so a turn does not pay ~50 ms of bcrypt.

    Keys are an HMAC of (username, password) under a per-process random key: the cache never holds a
    password, and a changed password simply misses.
    """

    def __init__(self, ttl: float = AUTH_TTL_SECONDS, size: int = 4096) -> None:
        self._key = os.urandom(32)
        self._ttl = ttl
        self._size = size
        self._seen: dict[bytes, tuple[float, int, str]] = {}
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\x00{password}".encode(), hashlib.sha256).digest()

    def get(self, username: str, password: str) -> tuple[int, str] | None:
        with self._lock:
            hit = self._seen.get(self._digest(username, password))
        if hit and hit[0] > time.monotonic():
            return hit[1], hit[2]
        return None

    def put(self, username: str, password: str, user_id: int, name: str) -> None:
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[self._digest(username, password)] = (time.monotonic() + self._ttl, user_id, name)


def register_practice_routes(api, service=None, authenticate: Callable | None = None) -> None:
    """Add the practice endpoints to a FastAPI app. ``service`` is a PracticeService (default: a new one,
    sharing this process's engine); ``authenticate(username, password)`` returns a user or None."""
    basic = HTTPBasic(auto_error=False)
    cache = _AuthCache()
    holder: dict = {}

    def practice():
        if service is not None:
            return service
        if "service" not in holder:
            from coach.practice import PracticeService

            holder["service"] = PracticeService()
        return holder["service"]

    def sign_in(username: str | None, password: str | None) -> int:
        if not username or password is None:
            raise HTTPException(401, "sign in with HTTP Basic (username and password)",
                                headers={"WWW-Authenticate": "Basic"})
        known = cache.get(username, password)
        if known:
            return known[0]
        check = authenticate
        if check is None:
            from coach.users import authenticate as check
        user = check(username, password)
        if user is None:
            raise HTTPException(401, "unknown user or wrong password", headers={"WWW-Authenticate": "Basic"})
        cache.put(username, password, user.id, user.username)
        return user.id

    def current_user(credentials: HTTPBasicCredentials | None = Depends(basic)) -> int | None:
        return sign_in(credentials.username, credentials.password) if credentials else None

    def refuse(exc: Exception) -> HTTPException:
        message = str(exc)
        code = 404 if any(w in message for w in ("does not exist", "no scenario", "unknown scenario")) else 403 if "another user" in message else 409 \
            if "has ended" in message else 400
        return HTTPException(code, message)

    @api.post("/api/practice/sessions", tags=["practice"])
    def start_session(body: StartRequest, user_id: int | None = Depends(current_user)) -> dict:
        """Start a session; returns its id, the persona's public card and the customer's opening line."""
        from coach.practice import PracticeError

        if user_id is None:
            user_id = sign_in(body.username, body.password)
        from coach.progression.session import start_session as start_checked

        try:  # the same rules as the Practice page: locked scenarios refused, guided/drill mode decided
            view = start_checked(practice(), user_id, body.scenario_id, seed=body.seed)
        except PermissionError as exc:
            raise HTTPException(403, str(exc)) from exc
        except (PracticeError, KeyError, LookupError) as exc:
            raise refuse(exc) from exc
        except ValueError as exc:  # e.g. an unknown scenario id from the scenario library
            raise HTTPException(404, str(exc)) from exc
        return view.model_dump(mode="json")

    @api.post("/api/practice/sessions/{session_id}/replies", tags=["practice"])
    def reply(session_id: int, body: ReplyRequest, user_id: int | None = Depends(current_user)) -> dict:
        """Grade the trainee's reply and return the customer's answer (both stored before this returns)."""
        from coach.practice import PracticeError

        if user_id is None:
            sign_in(None, None)
        started = time.perf_counter()
        try:
            turn = practice().reply(session_id, user_id, body.text)
        except PracticeError as exc:
            raise refuse(exc) from exc
        out = turn.model_dump(mode="json")
        out["server_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return out

    @api.get("/api/practice/sessions/{session_id}", tags=["practice"])
    def transcript(session_id: int, user_id: int | None = Depends(current_user)) -> dict:
        """The stored session: status and every turn so far (customer, trainee), in order."""
        from coach.practice import PracticeError

        if user_id is None:
            sign_in(None, None)
        try:
            turns = practice().transcript(session_id, user_id)
        except PracticeError as exc:
            raise refuse(exc) from exc
        return {"session_id": session_id, "turns": turns}
