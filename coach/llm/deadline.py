"""Stream a chat model's text within one overall deadline, retrying busy servers inside it.

An HTTP read timeout bounds the gap between two chunks, not the whole reply: a server that drips a chunk
every few seconds would hold a turn for minutes. Here the chunks are read on a worker thread and the caller
waits on a queue until the turn's deadline, so the trainee never waits longer than ``COACH_LLM_DEADLINE``.
A 429 or 5xx before any text arrived is retried with backoff (the server's Retry-After when it sent one)
as long as the wait still fits in the deadline.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from coach.llm.errors import retry_after, retryable, status_of

BACKOFF = 0.5  # seconds before the first retry when the server gives no Retry-After; doubles each time
MAX_RETRIES = 4


class DeadlineExceeded(TimeoutError):
    """The reply did not finish within the turn's deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete reply within {seconds:g} s")
        self.seconds = seconds


@dataclass(frozen=True)
class Retry:
    """Yielded before waiting to retry, so the caller can tell the user why the customer is slow."""

    status: int | None
    wait: float


def stream_within(chat_model, messages, seconds: float, *, stop: list[str] | None = None,
                  clock: Callable[[], float] = time.monotonic,
                  sleep: Callable[[float], None] = time.sleep) -> Iterator[str | Retry]:
    """Yield text pieces (and ``Retry`` notes); raise DeadlineExceeded past ``seconds``, or the last error."""
    end = clock() + seconds
    for attempt in range(MAX_RETRIES + 1):
        streamed = False
        try:
            for piece in _pieces_until(chat_model, messages, stop, end, seconds, clock):
                streamed = True
                yield piece
            return
        except DeadlineExceeded:
            raise
        except Exception as exc:
            if streamed or attempt == MAX_RETRIES or not retryable(exc):
                raise
            wait = retry_after(exc)
            wait = BACKOFF * 2 ** attempt if wait is None else wait
            if clock() + wait >= end:  # the server's wait does not fit in this turn: give up now, not later
                raise
            yield Retry(status_of(exc), wait)
            sleep(wait)


def _pieces_until(chat_model, messages, stop_words, end: float, seconds: float, clock) -> Iterator[str]:
    """One streaming call read on a daemon thread; the caller stops waiting at ``end``."""
    inbox: queue.Queue = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        stream = None
        try:
            stream = chat_model.stream(messages, stop=stop_words) if stop_words else chat_model.stream(messages)
            for chunk in stream:
                if stop.is_set():
                    break
                piece = chunk.content if isinstance(chunk.content, str) else ""
                if piece:
                    inbox.put(("piece", piece))
            inbox.put(("done", None))
        except BaseException as exc:  # handed to the caller's thread, which decides
            inbox.put(("error", exc))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                try:
                    close()  # drops the HTTP response, so a dripping server is not read to the end
                except Exception:  # closing an already-broken stream: nothing left to free
                    pass

    threading.Thread(target=produce, daemon=True, name="llm-stream").start()
    try:
        while True:
            remaining = end - clock()
            if remaining <= 0:
                raise DeadlineExceeded(seconds)
            try:
                kind, value = inbox.get(timeout=remaining)
            except queue.Empty as exc:
                raise DeadlineExceeded(seconds) from exc
            if kind == "piece":
                yield value
            elif kind == "done":
                return
            else:
                raise value
    finally:
        stop.set()
