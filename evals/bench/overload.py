"""Overload: do small requests keep their latency while other clients send huge lines? (issue 16, item 1)

    python -m evals.bench.overload [--home DIR] [--small 6] [--huge 4] [--seconds 30] [--pace 0.25] [--json]

One real server process (``evals.bench.server``: the whole app with the edge limits) on COACH_HOME (or
``--home``; initialised with the sample data if needed). ``--small`` clients each send one short customer
line per request to ``POST /api/live/hints`` (a new line each time, so nothing comes from a cache) and poll
``/healthz``, in three phases of ``--seconds`` each: alone (baseline); while ``--huge`` other processes keep
sending 3 MB WebSocket messages, 6,000-character NDJSON lines and 3 MB practice replies (huge: the edge must
refuse these at no cost to the others); and while those clients instead fire bursts of 30 small requests at
once (crowd: real extra work, which the bounded queue admits or turns away). Prints p50/p95/max of the small
requests and /healthz per phase, what the other clients were answered, and how many requests the work gate
turned away (busy), and the server's CPU time per phase and per small request: the other clients run on the
same cores, so CPU they take shows up as latency although the server spends no more per small request.
The load average is printed too: on a shared machine it moves every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

from evals.bench.machine import machine_info, percentiles

LINES = ["你们的价格太贵了", "预算今年已经用完了", "我们已经在用别家的系统", "这个要院长点头才行", "等明年再说吧",
         "Honestly it's too expensive for us", "We already use another vendor", "Let me talk to my boss first",
         "We don't have budget this quarter", "Maybe next year"]


def _ev(text: str) -> bytes:
    return (json.dumps({"speaker": "customer", "text": text}, ensure_ascii=False) + "\n").encode()


class Phase:
    """Latencies and outcomes gathered by all clients during one phase (thread-safe appends)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.small: list[float] = []
        self.health: list[float] = []
        self.small_busy = 0
        self.small_failed: list[str] = []
        self.huge: dict[str, int] = {}
        self.server_cpu_s: float | None = None


def _small_client(url: str, headers: dict, stop: threading.Event, phase_of, seq) -> None:
    import httpx

    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        while not stop.is_set():
            phase = phase_of()
            n = next(seq)
            text = f"{LINES[n % len(LINES)]} ({n})"
            began = time.perf_counter()
            try:
                answer = client.post("/api/live/hints", content=_ev(text))
                elapsed = (time.perf_counter() - began) * 1000
                kinds = [json.loads(line).get("message", "") for line in answer.text.splitlines()]
                busy = any("busy" in k for k in kinds)
                with phase.lock:
                    if answer.status_code != 200:
                        phase.small_failed.append(f"HTTP {answer.status_code}")
                    elif busy:
                        phase.small_busy += 1
                    else:
                        phase.small.append(elapsed)
            except httpx.HTTPError as exc:
                with phase.lock:
                    phase.small_failed.append(type(exc).__name__)
            began = time.perf_counter()
            try:
                client.get("/healthz")
                with phase.lock:
                    phase.health.append((time.perf_counter() - began) * 1000)
            except httpx.HTTPError as exc:
                with phase.lock:
                    phase.small_failed.append(f"healthz {type(exc).__name__}")


def _other_client(index: int, url: str, headers: dict, stop, results, auth, kinds: tuple[int, ...],
                  pace: float = 0.0) -> None:
    """Runs in its own process (so its own CPU, e.g. building 3 MB messages, is not charged to the small
    clients): cycles through the requests named by ``kinds`` (0-2 huge, 3 a burst) and reports what each was
    answered through ``results``."""
    import httpx
    import websockets
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    ws_url = url.replace("http://", "ws://") + "/api/live/ws"
    huge_message = json.dumps({"speaker": "customer", "text": "价格太贵了" * 200_000}, ensure_ascii=False)  # 3 MB
    long_line = _ev("太贵了" * 2000)
    huge_reply = json.dumps({"text": "贵" * 1_000_000}, ensure_ascii=False).encode()  # 3 MB
    counts: dict[str, int] = {}

    async def huge_ws() -> str:
        try:
            async with websockets.connect(ws_url, additional_headers=headers, max_size=None) as ws:
                await ws.send(huge_message)
                await asyncio.wait_for(ws.recv(), 60)
                return "ws 3 MB message: answered"
        except ConnectionClosed as exc:
            return f"ws 3 MB message: closed {exc.rcvd.code if exc.rcvd else '?'}"
        except (InvalidStatus, OSError, TimeoutError) as exc:
            return f"ws 3 MB message: {type(exc).__name__}"

    def burst(client) -> str:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(lambda i: client.post("/api/live/hints", content=_ev(f"太贵了 burst {i}")).status_code,
                                  range(30)))
        return f"burst of 30: {sum(c == 200 for c in codes)} ok"

    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for step in itertools.count(index):
            if stop.is_set():
                break
            kind = kinds[step % len(kinds)]
            try:
                if kind == 0:
                    outcome = asyncio.run(huge_ws())
                elif kind == 1:
                    answer = client.post("/api/live/hints", content=long_line)
                    first = json.loads(answer.text.splitlines()[0]) if answer.text else {}
                    outcome = f"ndjson 6,000-character line: {first.get('type', answer.status_code)}"
                elif kind == 2:
                    answer = client.post("/api/practice/sessions/1/replies", auth=auth, content=huge_reply,
                                         headers={"content-type": "application/json"})
                    outcome = f"practice 3 MB reply: HTTP {answer.status_code}"
                else:
                    outcome = burst(client)
            except httpx.HTTPError as exc:
                outcome = f"{kind}: {type(exc).__name__}"
            counts[outcome] = counts.get(outcome, 0) + 1
            if pace:
                stop.wait(pace)
    results.put(counts)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (all its threads) from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(phase: Phase) -> dict:
    per_small = round(phase.server_cpu_s * 1000 / len(phase.small), 1) if phase.server_cpu_s and phase.small else None
    return {"server_cpu_s": phase.server_cpu_s, "server_cpu_ms_per_small_request": per_small, "small": percentiles(phase.small), "small_busy_refused": phase.small_busy,
            "small_failed": len(phase.small_failed), "failure_samples": sorted(set(phase.small_failed))[:5],
            "healthz": percentiles(phase.health), "huge_answers": dict(sorted(phase.huge.items()))}


def run_overload(home: Path, small: int = 6, huge: int = 4, seconds: float = 30.0, progress: bool = True,
                 pace: float = 0.25) -> dict:
    """Start a server on ``home``, run the baseline then the overload phase, stop it; returns the figures."""
    from coach.tokens import add_token
    from evals.bench.concurrency import PASSWORD, ensure_trainees, start_server, stop_server
    from evals.bench.scale import use_home

    use_home(home)
    from coach.bootstrap import initialise

    initialise(progress=progress)
    _, token = add_token(f"overload-bench-{int(time.time())}", created_by="evals.bench.overload")
    trainee = ensure_trainees(1)[0]
    headers = {"Authorization": f"Bearer {token}"}
    proc, url = start_server(Path(home))
    try:
        import httpx

        httpx.post(url + "/api/live/hints", content=_ev("warm up 太贵了"), headers=headers, timeout=600)
        seq = itertools.count()
        phases = {"baseline": Phase(), "huge": Phase(), "crowd": Phase()}
        current = {"phase": phases["baseline"]}
        stop = threading.Event()
        smalls = [threading.Thread(target=_small_client, args=(url, headers, stop, lambda: current["phase"], seq),
                                   daemon=True) for _ in range(small)]
        for t in smalls:
            t.start()
        plan = [("baseline", ()), ("huge", (0, 1, 2)), ("crowd", (3,))]
        spawn = multiprocessing.get_context("spawn")
        for name, kinds in plan:
            current["phase"] = phases[name]
            cpu_before = cpu_seconds(proc.pid)
            stop_others, results = spawn.Event(), spawn.Queue()
            others = [spawn.Process(target=_other_client, args=(i, url, headers, stop_others, results,
                                                                (trainee, PASSWORD), kinds, pace), daemon=True)
                      for i in range(huge if kinds else 0)]
            for proc_ in others:
                proc_.start()
            if progress:
                print(f"[overload] {name}: {small} small clients" + (f" + {huge} others" if kinds else "")
                      + f" for {seconds:.0f} s", file=sys.stderr, flush=True)
            time.sleep(seconds)
            cpu_after = cpu_seconds(proc.pid)
            if cpu_before is not None and cpu_after is not None:
                phases[name].server_cpu_s = round(cpu_after - cpu_before, 1)
            stop_others.set()
            for _ in others:
                for outcome, n in results.get(timeout=300).items():
                    phases[name].huge[outcome] = phases[name].huge.get(outcome, 0) + n
            for proc_ in others:
                proc_.join(60)
        stop.set()
        for t in smalls:
            t.join(180)
    finally:
        stop_server(proc)
    summary = {name: _summary(phase) for name, phase in phases.items()}
    base = summary["baseline"]["small"]["p95_ms"]
    ratios = {name: round(summary[name]["small"]["p95_ms"] / base, 2) if base else None for name in ("huge", "crowd")}
    return {"machine": machine_info(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "what": f"{small} clients sending one short customer line per request to /api/live/hints (+ /healthz); "
                    f"{seconds:.0f} s alone, {seconds:.0f} s while {huge} other processes send 3 MB WebSocket messages, "
                    f"6,000-character lines and 3 MB practice replies, {seconds:.0f} s while they send bursts of "
                    f"30 small requests; each other process pauses {pace} s between requests (its own CPU runs on "
                    "this machine's cores too)", **summary, "small_p95_vs_baseline": ratios}


def text_report(report: dict) -> str:
    lines = [f"machine: {report['machine']['cpu_count']} cores, load average {report['load_average']}; "
             f"command: {report['machine']['command']}", report["what"]]
    for name in ("baseline", "huge", "crowd"):
        part = report[name]
        s, h = part["small"], part["healthz"]
        lines.append(f"{name:<9} small requests n={s['n']} p50 {s['p50_ms']} ms p95 {s['p95_ms']} ms max "
                     f"{s['max_ms']} ms | busy-refused {part['small_busy_refused']} failed {part['small_failed']} | "
                     f"/healthz p95 {h['p95_ms']} ms max {h['max_ms']} ms | server CPU {part['server_cpu_s']} s, "
                     f"{part['server_cpu_ms_per_small_request']} ms per small request")
        for answer, n in part["huge_answers"].items():
            lines.append(f"          other clients: {answer} x{n}")
    ratios = report["small_p95_vs_baseline"]
    lines.append(f"small-request p95 / baseline: with huge lines {ratios['huge']}, with a crowd {ratios['crowd']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from knowledge.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="COACH_HOME to serve (default: the configured one)")
    parser.add_argument("--small", type=int, default=6)
    parser.add_argument("--huge", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--pace", type=float, default=0.25, help="pause of each other client between requests")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run_overload(args.home or get_settings().coach_home, small=args.small, huge=args.huge,
                          seconds=args.seconds, progress=not args.json, pace=args.pace)
    print(json.dumps(report, ensure_ascii=False) if args.json else text_report(report))


if __name__ == "__main__":
    main()
