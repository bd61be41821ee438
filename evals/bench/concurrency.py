"""N simulated trainees against one real server process over HTTP: turn latency p50/p95, errors, server memory.

The server is a subprocess (``python -m evals.bench.server``) on a free port with the given COACH_HOME;
each trainee is a thread with its own HTTP client and account, starting a session and replying turn after
turn with no think time (a worst case: real trainees pause for seconds between replies).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from evals.bench.machine import peak_rss_mb, percentiles
from evals.bench.roleplay import SCENARIOS, trainee_replies

PASSWORD = "bench-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, port: int | None = None, timeout: float = 600) -> tuple[subprocess.Popen, str]:
    """Start the bench server on ``home`` and wait until /healthz answers."""
    import httpx

    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(COACH_HOME=str(home), ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    log = open(Path(home) / f"bench-server-{port}.log", "w")  # noqa: SIM115 - the process owns it
    proc = subprocess.Popen([sys.executable, "-m", "evals.bench.server", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bench server exited with code {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise TimeoutError(f"bench server not ready after {timeout}s; see {log.name}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def ensure_trainees(n: int) -> list[str]:
    """Accounts bench-0 … bench-(n-1) in the current COACH_HOME (created once)."""
    from coach.database import init_db
    from coach.users import add_user, get_user

    init_db()
    names = [f"bench-{i}" for i in range(n)]
    for name in names:
        if get_user(name) is None:
            add_user(name, PASSWORD, "trainee", team="bench")
    return names


def _trainee(url: str, username: str, lang: str, turns: int, out: dict, lock: threading.Lock,
             signed_in: threading.Barrier | None = None) -> None:
    import httpx

    replies = trainee_replies(lang)
    latencies, errors = [], []
    auth = (username, PASSWORD)
    with httpx.Client(base_url=url, auth=auth, timeout=120) as client:
        session_id, done, seed = None, 0, hash(username) % 10_000
        if signed_in is not None:
            # Sign in first (bcrypt, ~0.1 s of CPU each) and wait for everyone, so the timed turns measure
            # steady practice, not 50 sign-ins queued in front of them; the sign-in time is reported apart.
            began = time.perf_counter()
            try:
                status = client.get("/api/practice/sessions/0").status_code  # 404 once signed in
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with lock:
                out["sign_in_ms"].append((time.perf_counter() - began) * 1000)
                if status != 404:
                    out["errors"].append(f"sign-in {status}")
            signed_in.wait()
        while done < turns:
            try:
                if session_id is None:
                    r = client.post("/api/practice/sessions", json={"scenario_id": SCENARIOS[lang], "seed": seed})
                    seed += 1
                    if r.status_code != 200:
                        errors.append(f"start {r.status_code}: {r.text[:120]}")
                        done += 1
                        continue
                    session_id = r.json()["session_id"]
                started = time.perf_counter()
                r = client.post(f"/api/practice/sessions/{session_id}/replies",
                                json={"text": replies[(done + seed) % len(replies)]})
                elapsed = (time.perf_counter() - started) * 1000
                done += 1
                if r.status_code != 200:
                    errors.append(f"reply {r.status_code}: {r.text[:120]}")
                    session_id = None
                    continue
                latencies.append(elapsed)
                if r.json().get("ended"):
                    session_id = None
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                done += 1
    with lock:
        out["latencies"].extend(latencies)
        out["errors"].extend(errors)


def run_concurrency(home: Path, trainees: int = 50, turns: int = 5) -> dict:
    """Start a server on ``home``, run the trainees, stop it; the server's peak RSS is read before it stops."""
    names = ensure_trainees(trainees)
    started = time.perf_counter()
    proc, url = start_server(Path(home))
    ready_s = time.perf_counter() - started
    try:
        out: dict = {"latencies": [], "errors": [], "sign_in_ms": []}
        lock = threading.Lock()
        began: list[float] = []
        signed_in = threading.Barrier(trainees, action=lambda: began.append(time.perf_counter()))
        threads = [threading.Thread(target=_trainee, args=(url, name, "zh" if i % 4 else "en", turns, out, lock,
                                                           signed_in))
                   for i, name in enumerate(names)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began[0] if began else 0.0
        rss = peak_rss_mb(proc.pid)
    finally:
        stop_server(proc)
    attempted = trainees * turns
    return {"what": f"{trainees} trainees x {turns} turns over HTTP against one server process, no think time; "
                    "all sign in first, then the timed turns start together",
            "trainees": trainees, "sign_in": percentiles(out["sign_in_ms"]),
            "turns_attempted": attempted, "turns_ok": len(out["latencies"]),
            "errors": len(out["errors"]), "error_samples": sorted(set(out["errors"]))[:5],
            **percentiles(out["latencies"]), "turns_per_s": round(len(out["latencies"]) / wall, 2) if wall else 0,
            "server_ready_s": round(ready_s, 1), "server_peak_rss_mb": rss}
