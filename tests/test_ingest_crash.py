"""Issue 16 item 5: an ingest killed with SIGKILL must not break later ingests, and `coach doctor` finds and
repairs an index that lost vectors, keeps orphans or no longer opens.

The subprocess tests use the real Chroma store and the model-free ``hash`` embedder (COACH_EMBEDDER=hash), so
what is exercised is the storage path: journal, vector folder, keyword log and database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COACH = str(Path(sys.executable).parent / "coach")
SAMPLE = ROOT / "knowledge" / "data" / "sample_deals.jsonl"

DRIVER = """
import json, sys
from knowledge.ingest import ingest_path
r = ingest_path(sys.argv[1], anonymize=lambda r: r, tag=lambda r: r, progress=False, batch_size=int(sys.argv[2]))
print(json.dumps({"read": r.read, "new": r.new, "turns": r.turns}))
"""


def make_deals(path: Path, count: int, lang: str | None = None) -> Path:
    """``count`` deals cut from the bundled (already anonymized and labelled) sample, with fresh ids."""
    lines = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    if lang:
        lines = [d for d in lines if d["lang"] == lang]
    out = []
    for i in range(count):
        deal = dict(lines[i % len(lines)], deal_id=f"crash-{i:04d}")
        out.append(json.dumps(deal, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def env_for(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))}
    return env | {"COACH_HOME": str(home), "COACH_EMBEDDER": "hash", "HF_HUB_OFFLINE": "1",
                  "ANONYMIZED_TELEMETRY": "False"}


def run(args: list[str], home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env_for(home), capture_output=True, text=True, timeout=timeout, cwd=home.parent)


def journal_lines(home: Path) -> list[dict]:
    files = list((home / "index-journal").glob("*.jsonl"))
    if not files:
        return []
    out = []
    for line in files[0].read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def ingest_and_kill(deals: Path, home: Path, begins: int, driver: Path, batch: int = 32) -> list[dict]:
    """Start an ingest and SIGKILL it while its ``begins``-th batch is being written (the journal's last line is
    that batch's ``begin``), or as soon after as the poll sees; returns the journal as the kill left it."""
    proc = subprocess.Popen([sys.executable, str(driver), str(deals), str(batch)], env=env_for(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=home.parent)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            lines = journal_lines(home)
            started = sum(1 for e in lines if e["op"] == "begin")
            if started >= begins and lines[-1]["op"] == "begin":
                break
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    return journal_lines(home)


def doctor(home: Path, *extra: str) -> subprocess.CompletedProcess:
    return run([COACH, "doctor", *extra], home)


def corrupt_partitions(home: Path) -> None:
    """Overwrite part of every persisted HNSW segment's link lists and vectors: what a write cut short can leave,
    and what makes chromadb's native loader crash the process (SIGSEGV) instead of raising."""
    for segment in {p.parent for p in (home / "chroma").glob("*/data_level0.bin") if p.stat().st_size}:
        for name, step in (("link_lists.bin", 7), ("data_level0.bin", 97)):
            data = bytearray((segment / name).read_bytes())
            data[::step] = b"\xff" * len(data[::step])
            (segment / name).write_bytes(bytes(data))


# -- fast: the journal and the doctor on a small index ---------------------------------------------------------

def test_journal_reports_batches_of_dead_processes_only(tmp_path):
    from knowledge.index.journal import IndexJournal

    journal = IndexJournal(tmp_path / "j" / "turns.jsonl")
    done = journal.begin(["客户-1", "deal-2"])
    journal.step(done, "indexed")
    journal.step(done, "stored")
    mine = journal.begin(["deal-3"])  # this process is alive: an ingest in progress, not a crash
    assert journal.crashed() == []
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    with open(journal.path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"op": "begin", "batch": "b-dead", "pid": pid, "host": os.uname().nodename,
                             "deals": ["deal-4", "王芳的单子"]}) + "\n")
        fh.write('{"op": "inde')  # a line torn by the kill
    crashed = journal.crashed()
    assert [(b.batch, b.deals, b.indexed) for b in crashed] == [("b-dead", ["deal-4", "王芳的单子"], False)]
    journal.close(crashed)
    assert journal.crashed() == [] and mine
    assert oct(journal.path.stat().st_mode & 0o777) == "0o600"


def delete_vectors(home: Path) -> None:
    """rm -rf chroma/ while nothing has it open (as between two CLI runs: drop this process's cached client)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    shutil.rmtree(home / "chroma")
    SharedSystemClient.clear_system_cache()


@pytest.fixture
def small_index(tmp_path, monkeypatch):
    """20 zh + 20 en deals ingested in-process into the real Chroma store with the hash embedder."""
    from knowledge import settings
    from knowledge.index import hybrid
    from knowledge.ingest import ingest_path

    monkeypatch.setenv("COACH_EMBEDDER", "hash")
    settings.get_settings.cache_clear()
    hybrid._index_for.cache_clear()
    make_deals(tmp_path / "zh.jsonl", 20, "zh")
    make_deals(tmp_path / "en.jsonl", 20, "en")
    (tmp_path / "en.jsonl").write_text((tmp_path / "en.jsonl").read_text().replace("crash-", "en-"))
    for name in ("zh.jsonl", "en.jsonl"):
        report = ingest_path(tmp_path / name, anonymize=lambda r: r, tag=lambda r: r, progress=False)
        assert report.new == 20
    hybrid._index_for.cache_clear()
    yield settings.get_settings().coach_home
    hybrid._index_for.cache_clear()


def test_doctor_finds_and_repairs_a_deleted_vector_folder(small_index):
    from knowledge.health import run_checks
    from knowledge.index import get_index, hybrid

    delete_vectors(small_index)
    results = {r.name: r for r in run_checks(repair=False)}
    assert not results["index counts"].ok
    assert "turns without a vector" in results["index counts"].detail
    assert "coach doctor --repair" in results["index counts"].hint
    fixed = {r.name: r for r in run_checks(repair=True)}
    assert fixed["index counts"].ok and fixed["index counts"].repaired
    hybrid._index_for.cache_clear()
    index = get_index()
    assert index.store.count() == len(index.bm25) > 0
    assert index.search("价格太贵了", k=3, mode="dense") and index.search("the price is too high", k=3, mode="dense")


def test_opening_the_index_re_adds_lost_vectors_with_a_warning(small_index, caplog):
    from knowledge.index import get_index

    delete_vectors(small_index)
    with caplog.at_level("WARNING", logger="coach.index"):
        index = get_index()
    assert index.store.count() == len(index.bm25) > 0
    assert "turns without a vector" in caplog.text and "repairing" in caplog.text


def test_doctor_removes_orphans_a_crash_left_in_both_stores(small_index):
    from knowledge.health import run_checks
    from knowledge.index import hybrid
    from knowledge.index.docs import TurnDoc

    index = hybrid.build_index(recover=False)
    orphan = TurnDoc(doc_id="gone#0", deal_id="gone", turn_idx=0, text="我们再考虑一下 let me think",
                     metadata={"deal_id": "gone", "turn_idx": 0, "speaker": "customer", "objection": "none"})
    index.store.add([orphan.doc_id], index.embedder.embed([orphan.text]), [orphan.text], [orphan.metadata])
    index.bm25.add([orphan])
    index.bm25.save()
    results = {r.name: r for r in run_checks(repair=False)}
    assert "1 keyword-store turns not in the database" in results["index counts"].detail
    assert "1 vectors not in the database" in results["index counts"].detail
    assert {r.name: r for r in run_checks(repair=True)}["index counts"].ok
    index = hybrid.build_index(recover=False)
    assert "gone#0" not in index.store.ids() and "gone#0" not in index.bm25.doc_ids()


def test_doctor_cli_lists_named_checks_and_index_check_alias(small_index):
    from typer.testing import CliRunner

    from ui.cli.app import _load_commands, app

    _load_commands()
    runner = CliRunner()
    ok = runner.invoke(app, ["doctor"])
    assert ok.exit_code == 0, ok.output
    for name in ("vector store readable", "ingest journal", "index counts"):
        assert f"ok       {name}:" in ok.output
    assert "database 40 deals" in ok.output
    delete_vectors(small_index)
    bad = runner.invoke(app, ["index", "check", "--json"])
    assert bad.exit_code == 1
    assert {r["name"]: r["ok"] for r in json.loads(bad.output)}["index counts"] is False
    assert runner.invoke(app, ["index", "check", "--repair"]).exit_code == 0


def test_a_new_check_registers_by_name(monkeypatch):
    from knowledge import health

    monkeypatch.setattr(health, "_CHECKS", dict(health.checks()))
    health.register_check("票据接口", lambda repair: health.CheckResult("票据接口", False, "unreachable"))
    assert {"vector store readable", "ingest journal", "index counts"} <= set(health.checks())
    assert list(health.checks())[-1] == "票据接口"
    results = health.run_checks(only=["票据接口"])
    assert [(r.name, r.ok, r.detail) for r in results] == [("票据接口", False, "unreachable")]
    health.register_check("broken", lambda repair: 1 / 0)
    assert "ZeroDivisionError" in health.run_checks(only=["broken"])[0].detail  # reported, never raised


# -- slow: real SIGKILLs of a real ingest ---------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("begins", [1, 5, 9])
def test_sigkill_during_ingest_then_rerun_and_doctor(tmp_path, begins):
    home = tmp_path / "home"
    deals = make_deals(tmp_path / "deals.jsonl", 200)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    left = ingest_and_kill(deals, home, begins, driver, batch=16)
    assert any(e["op"] == "begin" for e in left)
    before = doctor(home)
    assert before.returncode == 1 and "ingest batch(es)" in before.stdout, before.stdout + before.stderr
    again = run([sys.executable, str(driver), str(deals), "16"], home)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["read"] == 200
    after = doctor(home)
    assert after.returncode == 0, after.stdout + after.stderr[-2000:]
    assert "database 200 deals" in after.stdout and "no ingest batch was cut off" in after.stdout
    counts = next(line for line in after.stdout.splitlines() if "index counts" in line)
    turns = counts.split(" turns, ")[0].rsplit("/ ", 1)[1]
    assert f"keyword store {turns}, vector store {turns}" in counts


@pytest.mark.slow
def test_a_vector_folder_broken_by_the_kill_is_rebuilt_not_crashed_on(tmp_path):
    """The issue's case: the re-run died in chromadb's native code (SIGSEGV). Here the kill lands mid-vector
    write and the segment is then damaged the way such a write can leave it; the re-run must finish."""
    home = tmp_path / "home"
    deals = make_deals(tmp_path / "deals.jsonl", 200)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    for _ in range(3):  # the poll can miss the write window; try again from a fresh folder
        left = ingest_and_kill(deals, home, 4, driver, batch=32)  # ~2,000 turns in: HNSW segments on disk
        if left[-1]["op"] == "begin":
            break
        shutil.rmtree(home)
    assert left[-1]["op"] == "begin", "could not kill the ingest during a vector write"
    corrupt_partitions(home)
    probe = run([sys.executable, "-m", "knowledge.index.probe", str(home / "chroma")], home)
    assert probe.returncode != 0  # the damaged folder really does break whoever opens it
    again = run([sys.executable, str(driver), str(deals), "32"], home)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "moved it to chroma.broken-" in again.stderr
    assert list(home.glob("chroma.broken-*"))
    after = doctor(home)
    assert after.returncode == 0, after.stdout + after.stderr[-2000:]
    assert "database 200 deals" in after.stdout
