"""The ingest journal: what each batch committed where, so a crash mid-batch is found and repaired on the next open.

Each ingest batch appends ``begin`` (its deal ids, the writing process) before it touches an index, ``indexed``
once its vectors and keywords are written, and ``stored`` once the database commit is done. A batch that began
but never reached ``stored`` in a process that is gone was cut off by a crash (kill -9, power loss): if it
never reached ``indexed`` the vector store may be half-written (Chroma can then fail, or even crash the process,
when it next loads), and its deals may sit in the index without being in the database or the other way round.
:mod:`knowledge.index.health` reads :meth:`IndexJournal.crashed` and repairs from the database.

Lines are appended under an exclusive ``flock`` and fsynced, so concurrent ingests and a kill -9 never leave
a half entry that parses; deal ids in it are the anonymized ones (ingest journals after anonymizing).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

COMPACT_BYTES = 1 << 20  # rewrite the file once it passes 1 MB and no batch is open


@dataclass
class Batch:
    """One journaled batch and the steps it reached."""

    batch: str
    pid: int
    host: str
    deals: list[str]
    steps: set[str] = field(default_factory=set)

    @property
    def indexed(self) -> bool:
        return "indexed" in self.steps

    @property
    def closed(self) -> bool:
        return bool(self.steps & {"stored", "repaired"})


def _alive(pid: int, host: str) -> bool:
    if host != socket.gethostname():
        return True  # another machine's process: we cannot tell, so never treat it as crashed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class IndexJournal:
    """Append-only JSONL of batch steps at ``path`` (created 0600 under a 0700 folder)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def begin(self, deal_ids: list[str]) -> str:
        """Record that a batch of these deals is about to be written; returns its id."""
        batch = uuid.uuid4().hex[:12]
        self._append([{"op": "begin", "batch": batch, "pid": os.getpid(), "host": socket.gethostname(),
                       "deals": list(deal_ids)}])
        return batch

    def step(self, batch: str, op: str) -> None:
        """Record that ``batch`` reached ``op`` (``indexed``, ``stored`` or ``repaired``)."""
        self._append([{"op": op, "batch": batch}])

    def batches(self) -> list[Batch]:
        """Every batch in the file, in order (a torn last line is ignored)."""
        found: dict[str, Batch] = {}
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("op") == "begin":
                    found[entry["batch"]] = Batch(entry["batch"], int(entry.get("pid", 0)), entry.get("host", ""),
                                                  list(entry.get("deals", [])))
                elif entry.get("batch") in found:
                    found[entry["batch"]].steps.add(entry["op"])
        return list(found.values())

    def crashed(self) -> list[Batch]:
        """Batches that began but were never stored, in a process that no longer runs."""
        return [b for b in self.batches() if not b.closed and not _alive(b.pid, b.host)]

    def close(self, batches: list[Batch], op: str = "repaired") -> None:
        """Mark crashed batches as dealt with, then compact the file when nothing is open any more."""
        self._append([{"op": op, "batch": b.batch} for b in batches])
        self.compact()

    def compact(self) -> None:
        if not self.path.exists() or self.path.stat().st_size < COMPACT_BYTES:
            return
        with self._locked() as fh:
            if all(b.closed for b in self.batches()):
                fh.truncate(0)

    def _append(self, entries: list[dict]) -> None:
        if not entries:
            return
        with self._locked() as fh:
            text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
            if _torn(self.path):  # a line a kill cut short: end it, or the next entry would be glued onto it
                text = "\n" + text
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    def _locked(self):
        return _Locked(self.path)


def _torn(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return False
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"


class _Locked:
    """The journal file opened for appending under an exclusive lock (one writer at a time, across processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.fh = os.fdopen(fd, "a", encoding="utf-8")
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        return self.fh

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
        self.fh.close()
