"""What every figure is printed with: the core count, the command that produced it, and percentile helpers."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from pathlib import Path


def percentiles(values: list[float]) -> dict[str, float | int]:
    """n, p50, p95, max (ms, 2 decimals), nearest-rank; empty input gives zeros, never an exception."""
    if not values:
        return {"n": 0, "p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {"n": len(ordered), "p50_ms": rank(0.5), "p95_ms": rank(0.95), "max_ms": round(ordered[-1], 2)}


def command_line() -> str:
    """The command as typed (`coach bench ...`), so a figure can be reproduced."""
    argv = list(sys.argv)
    if argv and (argv[0] == "-c" or Path(argv[0]).name in {"coach", "__main__.py"}):
        argv[0] = "coach"  # `coach ...`, `python -m ui.cli ...` and `python -c "...main()" ...` alike
    return shlex.join(argv)


def machine_info() -> dict:
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "command": command_line()}


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory (VmHWM) of a process in MB from /proc; elsewhere psutil's current RSS if installed."""
    peak = _proc_hwm(pid)
    if peak is not None:
        return peak
    try:
        import psutil

        return round(psutil.Process(None if pid == "self" else int(pid)).memory_info().rss / 2**20, 1)
    except Exception:  # psutil missing or the process went away
        return None


def _proc_hwm(pid: int | str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
