"""Sign-in throttling: per-user and per-address backoff, then a lockout, so passwords cannot be guessed at speed.

After a few failures each further attempt must wait a little longer (1 s, 2 s, 4 s … up to a minute); after
``max_failures`` the name (or, with a higher limit, the address) is locked for ``lockout_seconds``. While a
key waits, attempts are refused *before* any password is checked, so a flood costs neither bcrypt time nor a
database write. Failures are forgotten ``lockout_seconds`` after the last one, and a success clears the user's
count (never the address's: an attacker's own valid account must not reset the count for the address).

The counts live in this process's memory: a restart forgets them, and several server processes count
separately (the audit log, written by ``coach.users``, is shared).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

BACKOFF_AFTER = 3  # failures that are free (a third of the limit, at least 3); the next ones wait 1, 2, 4 … s
BACKOFF_CAP = 60.0


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0
    lock_reported: bool = False


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go ahead; ``wait`` seconds otherwise, ``locked`` when it is a lockout."""

    wait: float = 0.0
    locked: bool = False
    first_refusal: bool = False  # the first refusal of this wait: the one worth an audit line

    @property
    def allowed(self) -> bool:
        return self.wait <= 0


class LoginThrottle:
    """Counts failed sign-ins per key (``user:…`` and ``addr:…``) and says how long the next attempt waits."""

    def __init__(self, max_failures: int = 10, address_max_failures: int = 50, lockout_seconds: float = 900.0,
                 clock: Callable[[], float] = time.monotonic, size: int = 100_000) -> None:
        self.max_failures = max_failures
        self.address_max_failures = address_max_failures
        self.lockout_seconds = lockout_seconds
        self._clock = clock
        self._size = size
        self._counts: OrderedDict[str, _Count] = OrderedDict()
        self._lock = threading.Lock()

    def _limit(self, key: str) -> int:
        return self.address_max_failures if key.startswith("addr:") else self.max_failures

    def _current(self, key: str, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count and count.locked_until <= now and now - count.last > self.lockout_seconds:
            del self._counts[key]  # long quiet: start afresh
            return None
        return count

    def check(self, *keys: str) -> Verdict:
        """The longest wait any of the keys is under (0 when the attempt may go ahead)."""
        now = self._clock()
        verdict = Verdict()
        with self._lock:
            for key in keys:
                count = self._current(key, now)
                if count is None or count.locked_until <= now:
                    continue
                wait = count.locked_until - now
                if wait > verdict.wait:
                    locked = count.failures >= self._limit(key)
                    verdict = Verdict(wait, locked, not count.lock_reported)
                count.lock_reported = True
        return verdict

    def failed(self, *keys: str) -> None:
        """Record a failed password check for every key; sets the next wait."""
        now = self._clock()
        with self._lock:
            for key in keys:
                count = self._current(key, now) or _Count()
                count.failures += 1
                count.last = now
                count.lock_reported = False
                limit = self._limit(key)
                if count.failures >= limit:
                    count.locked_until = now + self.lockout_seconds
                elif count.failures > (free := max(BACKOFF_AFTER, limit // 3)):
                    count.locked_until = now + min(2.0 ** (count.failures - free - 1), BACKOFF_CAP)
                self._counts[key] = count
                self._counts.move_to_end(key)
            while len(self._counts) > self._size:
                self._counts.popitem(last=False)

    def succeeded(self, user_key: str) -> None:
        """A correct password: the user's count starts again (the address's does not)."""
        with self._lock:
            self._counts.pop(user_key, None)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_THROTTLE: LoginThrottle | None = None
_THROTTLE_LOCK = threading.Lock()


def get_throttle() -> LoginThrottle:
    """The process-wide throttle, built from the settings on first use (tests may replace it)."""
    global _THROTTLE
    with _THROTTLE_LOCK:
        if _THROTTLE is None:
            from knowledge.settings import get_settings

            s = get_settings()
            _THROTTLE = LoginThrottle(s.login_max_failures, s.login_address_max_failures, s.login_lockout_seconds)
        return _THROTTLE


def set_throttle(throttle: LoginThrottle | None) -> None:
    """Use this throttle from now on (None: rebuild from the settings on next use)."""
    global _THROTTLE
    with _THROTTLE_LOCK:
        _THROTTLE = throttle
