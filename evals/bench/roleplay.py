"""Role-play turn latency: grade + the customer's reply (stored, as the app does) + hints for the next reply.

Trainee replies come from the held-out grading set (real replies of every quality, Chinese and English),
played in order across fresh sessions of one Chinese and one English scenario.
"""

from __future__ import annotations

import json
import time
from importlib import resources

from evals.bench.machine import percentiles

SCENARIOS = {"zh": "zh-saas-price", "en": "en-shop-price"}  # starter pool: open to a new trainee


def trainee_replies(lang: str) -> list[str]:
    """Replies written for the grading eval (held-out split) in one language."""
    path = resources.files("evals.grading") / "data" / "replies_heldout.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("lang") == lang and row.get("reply"):
            out.append(row["reply"])
    return out


def bench_user(username: str = "bench-trainee", password: str = "bench-pass") -> int:
    from coach.users import add_user, get_user

    user = get_user(username)
    return (user or add_user(username, password, "trainee", team="bench")).id


def run_roleplay(service, kit, turns: int = 60, scenarios: dict[str, str] | None = None,
                 user_id: int | None = None) -> dict:
    """Time ``turns`` trainee turns per language; ``service`` is a PracticeService, ``kit`` a LiveKit (or None).

    ``turn_ms`` is what the trainee waits for: reply sent → the customer's line stored and shown.
    ``read_ahead_ms`` is the work the Practice page does after showing a line, while the trainee reads it
    (embedding it for the next grade); the total adds it, as a trainee who answered at once would wait for it.
    """
    scenarios = scenarios or SCENARIOS
    user_id = user_id if user_id is not None else bench_user()
    total: dict[str, list[float]] = {}
    parts: dict[str, list[float]] = {"turn_ms": [], "read_ahead_ms": [], "hints_ms": []}

    def read_ahead(session_id: int) -> float:
        started = time.perf_counter()
        service.read_ahead(session_id, user_id)
        elapsed = (time.perf_counter() - started) * 1000
        parts["read_ahead_ms"].append(elapsed)
        return elapsed

    for lang, scenario_id in scenarios.items():
        replies = trainee_replies(lang)
        total[lang] = []
        session, done, seed, ahead = None, 0, 1, 0.0
        while done < turns:
            if session is None:
                session = service.start(user_id, scenario_id, seed=seed)
                ahead = read_ahead(session.session_id)
                assist = kit.new_call() if kit is not None else None
                seed += 1
            reply = replies[done % len(replies)]
            started = time.perf_counter()
            turn = service.reply(session.session_id, user_id, reply)
            middle = time.perf_counter()
            if assist is not None:
                assist.process({"speaker": "rep", "text": reply})
                assist.process({"speaker": "customer", "text": turn.customer_text})
            ended = time.perf_counter()
            total[lang].append(ahead + (ended - started) * 1000)
            parts["turn_ms"].append((middle - started) * 1000)
            parts["hints_ms"].append((ended - middle) * 1000)
            ahead = 0.0 if turn.ended else read_ahead(session.session_id)
            done += 1
            if turn.ended:
                session = None
    every = [v for values in total.values() for v in values]
    return {"what": "grade + customer reply (offline realizer, stored) + live hints on the customer's line "
                    "+ the read-ahead of the line before it",
            **percentiles(every), "by_lang": {lang: percentiles(v) for lang, v in total.items()},
            "parts": {name: percentiles(v) for name, v in parts.items()}}
