"""A small JSON HTTP API for practice sessions, beside the Gradio app (load tests and scripted clients use it).

``POST /api/practice/sessions`` {scenario_id, seed?} → the session and the customer's opening line;
``POST /api/practice/sessions/{id}/replies`` {text} → the stored turn: grade and the customer's answer;
``GET /api/practice/sessions/{id}`` → the stored transcript (what survives a restart).
Every request signs in with HTTP Basic (``coach.users.authenticate``); the session start also accepts
``username``/``password`` in the body. A session belongs to the user who started it, and a locked
scenario is refused (403, saying what unlocks it) exactly as on the Practice page.

A client that lost its connection mid-reply reads the transcript to learn whether the turn was stored
before sending it again. Limits: a reply over ``coach.text_limits.MAX_REPLY_CHARS`` gets 413 and an empty one
400 (the service's own check, shared with the Practice page and ``coach grade``); a session id or seed out of
range gets 400; when every work slot is busy and the queue is full the answer is 503 with Retry-After.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from coach.text_limits import TextLimitError
from ui.api_auth import ApiCredentials, Throttled
from ui.edge_limits import Overloaded, WorkGate, overloaded_headers

MAX_ID = 2**63 - 1  # the database's integer range: anything larger is a client's mistake (400), not a crash


class StartRequest(BaseModel):
    scenario_id: str = Field(min_length=1, max_length=200)
    seed: int | None = None
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200)


class ReplyRequest(BaseModel):
    # the service checks the length (413, in the session's language, the same MAX_REPLY_CHARS everywhere);
    # the body cap at the edge (2 MB) stops absurd payloads before they are parsed
    text: str


def _check_id(value: int | None, what: str) -> None:
    if value is not None and not -MAX_ID <= value <= MAX_ID:
        raise HTTPException(400, f"{what} {value} is out of range; use a whole number up to 2^63-1")


def register_practice_routes(api, service=None, authenticate: Callable | None = None,
                             gate: WorkGate | None = None) -> None:
    """Add the practice endpoints to a FastAPI app. ``service`` is a PracticeService (default: a new one,
    sharing this process's engine); ``authenticate(username, password)`` returns a user or None; ``gate``
    bounds the turns graded at once (default: one from the settings)."""
    basic = HTTPBasic(auto_error=False)
    credentials = ApiCredentials(authenticate=authenticate)
    holder: dict = {}

    async def work_slot():
        """A slot of the work gate for the whole request; 503 at once when the queue is full."""
        if gate is None and "gate" not in holder:
            holder["gate"] = WorkGate.from_settings()
        try:
            async with (gate or holder["gate"]).slot():
                yield
        except Overloaded as exc:
            raise HTTPException(503, str(exc), headers=overloaded_headers()) from None

    def practice():
        if service is not None:
            return service
        if "service" not in holder:
            from coach.practice import PracticeService

            holder["service"] = PracticeService()
        return holder["service"]

    def sign_in(username: str | None, password: str | None, address: str | None = None) -> int:
        if not username or password is None:
            raise HTTPException(401, "sign in with HTTP Basic (username and password)",
                                headers={"WWW-Authenticate": "Basic"})
        try:
            caller = credentials.user(username, password, address)
        except Throttled as exc:
            raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
        if caller is None:
            raise HTTPException(401, "unknown user or wrong password", headers={"WWW-Authenticate": "Basic"})
        return caller.id

    def current_user(request: Request, credentials: HTTPBasicCredentials | None = Depends(basic)) -> int | None:
        address = request.client.host if request.client else None
        return sign_in(credentials.username, credentials.password, address) if credentials else None

    def refuse(exc: Exception) -> HTTPException:
        message = str(exc)
        code = 404 if any(w in message for w in ("does not exist", "no scenario", "unknown scenario")) else 403 if "another user" in message else 409 \
            if "has ended" in message else 400
        return HTTPException(code, message)

    @api.post("/api/practice/sessions", tags=["practice"], dependencies=[Depends(work_slot)])
    def start_session(body: StartRequest, user_id: int | None = Depends(current_user)) -> dict:
        """Start a session; returns its id, the persona's public card and the customer's opening line."""
        from coach.practice import PracticeError

        _check_id(body.seed, "seed")
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

    @api.post("/api/practice/sessions/{session_id}/replies", tags=["practice"], dependencies=[Depends(work_slot)])
    def reply(session_id: int, body: ReplyRequest, user_id: int | None = Depends(current_user)) -> dict:
        """Grade the trainee's reply and return the customer's answer (both stored before this returns)."""
        from coach.practice import PracticeError

        if user_id is None:
            sign_in(None, None)
        _check_id(session_id, "session id")
        started = time.perf_counter()
        try:
            turn = practice().reply(session_id, user_id, body.text)
        except TextLimitError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
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
        _check_id(session_id, "session id")
        try:
            turns = practice().transcript(session_id, user_id)
        except PracticeError as exc:
            raise refuse(exc) from exc
        return {"session_id": session_id, "turns": turns}
