"""Who is calling the HTTP APIs: the app's users over HTTP Basic, or an integration's API token (Bearer).

Passwords are checked by ``coach.users.authenticate`` (the sign-in the pages use); a success is remembered for
a few minutes under an HMAC key so a live call or a practice turn does not pay bcrypt each time, bound to the
stored password hash: ``coach users passwd`` or ``disable`` ends it at the next request. Tokens are
checked by ``coach.tokens.verify_token`` on every connection, so a revoked token stops at once.
Browser WebSockets carry no custom headers, so the token may also come as ``?token=``; and a browser's
``Origin`` must be this server's own or one listed in COACH_ALLOWED_ORIGINS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

AUTH_TTL_SECONDS = 300.0
CHALLENGE = 'Bearer realm="coach", Basic realm="coach"'


@dataclass(frozen=True)
class Caller:
    """A signed-in user (``kind="user"``) or an integration token (``kind="token"``)."""

    kind: str
    id: int
    name: str


class AuthCache:
    """Remembers a successful bcrypt check for a few minutes, so a turn does not pay ~50 ms of bcrypt.

    Keys are an HMAC of (username, password) under a per-process random key: the cache never holds a
    password, and a changed password simply misses.
    """

    def __init__(self, ttl: float = AUTH_TTL_SECONDS, size: int = 4096) -> None:
        self._key = os.urandom(32)
        self._ttl = ttl
        self._size = size
        self._seen: dict[bytes, tuple[float, int, str, str]] = {}
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\x00{password}".encode(), hashlib.sha256).digest()

    def get(self, username: str, password: str) -> tuple[int, str, str] | None:
        """(user id, name, the stored hash the check was made against) while the entry is fresh."""
        with self._lock:
            hit = self._seen.get(self._digest(username, password))
        if hit and hit[0] > time.monotonic():
            return hit[1], hit[2], hit[3]
        return None

    def put(self, username: str, password: str, user_id: int, name: str, stored_hash: str = "") -> None:
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[self._digest(username, password)] = (time.monotonic() + self._ttl, user_id, name,
                                                            stored_hash)

    def forget(self, username: str, password: str) -> None:
        with self._lock:
            self._seen.pop(self._digest(username, password), None)


class Throttled(Exception):
    """Too many failed sign-ins for this name or address: answer 429 with ``Retry-After``, check nothing."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed sign-ins; try again in {max(1, math.ceil(retry_after))} s")
        self.retry_after = max(1, math.ceil(retry_after))


def _default_authenticate(username: str, password: str, address: str | None = None):
    """The user, None for a wrong name or password, ``Throttled`` while the name or the address waits."""
    from coach.users import SignInRefused, sign_in

    try:
        return sign_in(username, password, address)
    except SignInRefused as exc:
        if exc.reason == "locked":
            raise Throttled(exc.retry_after) from None
        return None


def _stored_hash(user_id: int) -> str | None:
    """The user's password hash as stored now (a disabled account's starts with '!'); None when removed."""
    from coach.tables import User
    from knowledge.db import session

    try:
        with session() as db:
            user = db.get(User, user_id)
            return user.password_hash if user is not None else None
    except Exception:  # noqa: BLE001 - no database: never trust the cache
        return None


def _default_verify(token: str):
    from coach.tokens import verify_token

    return verify_token(token)


class ApiCredentials:
    """Resolves credentials to a ``Caller`` or None. Both checkers are injectable (tests pass their own)."""

    def __init__(self, authenticate: Callable | None = None, verify_token: Callable | None = None,
                 stored_hash: Callable[[int], str | None] | None = None) -> None:
        self._authenticate = authenticate or _default_authenticate
        self._verify = verify_token or _default_verify
        self._stored_hash = stored_hash or _stored_hash
        self.cache = AuthCache()

    def user(self, username: str | None, password: str | None, address: str | None = None) -> Caller | None:
        """The signed-in caller or None; raises ``Throttled`` while the name or ``address`` is locked out."""
        if not username or password is None or len(username) > 200 or len(password) > 200:
            return None
        known = self.cache.get(username, password)
        if known:
            # unchanged since the check: no bcrypt needed (a user object without a hash cannot be bound)
            if not known[2] or self._stored_hash(known[0]) == known[2]:
                return Caller("user", known[0], known[1])
            self.cache.forget(username, password)  # password changed, account disabled or removed
        user = (self._authenticate(username, password, address) if self._authenticate is _default_authenticate
                else self._authenticate(username, password))
        if user is None:
            return None
        self.cache.put(username, password, user.id, user.username, getattr(user, "password_hash", "") or "")
        return Caller("user", user.id, user.username)

    def token(self, token: str | None) -> Caller | None:
        row = self._verify(token) if token else None
        return Caller("token", int(row.id), row.name) if row is not None else None

    def from_header(self, authorization: str | None, query_token: str | None = None,
                    address: str | None = None) -> Caller | None:
        """``Authorization: Bearer <token>`` or ``Basic <base64 user:password>``; else ``?token=``."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return self.token(value.strip())
        if scheme == "basic":
            try:
                username, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
            return self.user(username, password, address)
        return self.token(query_token) if query_token else None


def allowed_origins() -> set[str]:
    from knowledge.settings import get_settings

    return {o.strip().rstrip("/").lower() for o in get_settings().allowed_origins.split(",") if o.strip()}


def origin_allowed(origin: str | None, host: str | None, extra: set[str] | None = None) -> bool:
    """No Origin (a dialer, a script) is fine: only browsers send one. A browser's must be this server
    (same host and port as the ``Host`` it asked for) or one the operator listed."""
    if not origin:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in (extra if extra is not None else allowed_origins()):
        return True
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in {"http", "https"} and parts.netloc == host.strip().lower()
