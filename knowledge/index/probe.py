"""Open a Chroma folder in a child process to learn whether it is readable, without risking this process.

A vector store cut off mid-write by a kill -9 can make chromadb's native code raise on load, or crash the
whole process (a segfault cannot be caught). So when the journal says a write was cut off, the folder is
opened, counted and queried here, in a child: a non-zero exit or a signal means "rebuild it".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE_TIMEOUT = 300.0


def probe_chroma(path: Path, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when every collection under ``path`` loads, counts and answers a query; else why not."""
    if not Path(path).exists():
        return None
    try:
        done = subprocess.run([sys.executable, "-m", "knowledge.index.probe", str(path)], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"opening it took more than {timeout:.0f} s"
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"opening it crashed the process (signal {-done.returncode})"
    last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
    return f"opening it failed ({last[:300]})"


def _check(path: str) -> None:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
    for listed in client.list_collections():
        col = client.get_collection(listed.name if hasattr(listed, "name") else str(listed))
        total = col.count()
        if total:
            got = col.get(limit=1, include=["embeddings"])
            col.query(query_embeddings=got["embeddings"], n_results=min(10, total), include=["distances"])


if __name__ == "__main__":
    _check(sys.argv[1])
