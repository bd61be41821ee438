"""`coach bench` runs end to end on tiny sizes and prints every figure with the core count; the practice
JSON API it drives signs in per request and keeps sessions to their owner. No speed is asserted here."""

from __future__ import annotations

import json
import os

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_percentiles_nearest_rank_and_empty():
    from evals.bench import percentiles

    values = [float(v) for v in range(1, 101)]
    assert percentiles(values) == {"n": 100, "p50_ms": 51.0, "p95_ms": 96.0, "max_ms": 100.0}
    assert percentiles([]) == {"n": 0, "p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}


def test_machine_info_and_peak_rss():
    from evals.bench import machine_info, peak_rss_mb

    info = machine_info()
    assert info["cpu_count"] == os.cpu_count() and info["command"]
    assert peak_rss_mb() > 10  # this Python process holds more than 10 MB
    assert peak_rss_mb(2**22 + 12345) is None  # no such process: no figure, no crash


@pytest.fixture
def api(db):
    from test_backends import light_service

    from coach.users import add_user
    from ui.practice_api import register_practice_routes

    add_user("trainee-a", "pass-a", "trainee")
    add_user("trainee-b", "pass-b", "trainee")
    app = FastAPI()
    register_practice_routes(app, light_service())
    return TestClient(app)


@pytest.mark.parametrize("scenario_id, reply", [
    ("zh-saas-price", "理解您的顾虑，我们可以按年付分三期，您看预算上是否可行？"),
    ("en-shop-price", "I hear you; could we walk through the annual plan and what it saves you?"),
])
def test_practice_api_start_reply_transcript(api, scenario_id, reply):
    started = api.post("/api/practice/sessions", json={"scenario_id": scenario_id, "seed": 3,
                                                       "username": "trainee-a", "password": "pass-a"})
    assert started.status_code == 200, started.text
    session = started.json()
    assert session["opening"] and session["scenario_id"] == scenario_id
    turn = api.post(f"/api/practice/sessions/{session['session_id']}/replies", json={"text": reply},
                    auth=("trainee-a", "pass-a"))
    assert turn.status_code == 200, turn.text
    body = turn.json()
    assert body["grade"]["score"] == 80.0 and body["customer_text"] and body["reply"] == reply
    stored = api.get(f"/api/practice/sessions/{session['session_id']}", auth=("trainee-a", "pass-a")).json()
    assert [t["text"] for t in stored["turns"][:3]] == [session["opening"], reply, body["customer_text"]]


@pytest.mark.parametrize("lang, scenario_id, unlock_word", [("zh", "zh-medical-dean", "解锁"),
                                                              ("en", "en-saas-cto", "unlock")])
def test_practice_api_applies_progression_locks(api, lang, scenario_id, unlock_word):
    from coach.users import add_user

    add_user(f"new-{lang}", "pass", "trainee", lang=lang)
    refused = api.post("/api/practice/sessions", json={"scenario_id": scenario_id}, auth=(f"new-{lang}", "pass"))
    assert refused.status_code == 403 and "locked" in refused.json()["detail"]
    assert unlock_word in refused.json()["detail"]  # says what opens it, in the trainee's language
    add_user(f"coach-{lang}", "pass", "trainer", lang=lang)  # staff may open any scenario
    assert api.post("/api/practice/sessions", json={"scenario_id": scenario_id},
                    auth=(f"coach-{lang}", "pass")).status_code == 200


def test_practice_api_refuses_clearly(api):
    url = "/api/practice/sessions"
    assert api.post(url, json={"scenario_id": "zh-saas-price"}).status_code == 401
    wrong = api.post(url, json={"scenario_id": "zh-saas-price"}, auth=("trainee-a", "nope"))
    assert wrong.status_code == 401 and "wrong password" in wrong.json()["detail"]
    missing = api.post(url, json={"scenario_id": "no-such"}, auth=("trainee-a", "pass-a"))
    assert missing.status_code == 404 and "no-such" in missing.json()["detail"]
    sid = api.post(url, json={"scenario_id": "zh-saas-price", "seed": 1}, auth=("trainee-a", "pass-a")).json()["session_id"]
    other = api.post(f"{url}/{sid}/replies", json={"text": "你好"}, auth=("trainee-b", "pass-b"))
    assert other.status_code == 403 and "another user" in other.json()["detail"]
    assert api.post(f"{url}/{sid}/replies", json={"text": "   "}, auth=("trainee-a", "pass-a")).status_code == 400
    assert api.post(f"{url}/{sid}/replies", json={"text": "长" * 5000}, auth=("trainee-a", "pass-a")).status_code == 413
    assert api.post(f"{url}/999999/replies", json={"text": "hi"}, auth=("trainee-a", "pass-a")).status_code == 404


@pytest.mark.slow
def test_coach_bench_tiny_json_has_every_figure(tmp_path):
    """The whole harness on 12 deals: builds the index, times turns and hints, runs one trainee over HTTP
    against a real server process, ingests one deal cold; the JSON names every figure."""
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "from ui.cli import main; main()", "bench", "--deals", "12", "--turns", "1",
           "--utterances", "2", "--ingest-deals", "1", "--trainees", "1", "--trainee-turns", "1",
           "--root", str(tmp_path / "bench"), "--no-sample", "--json"]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CHROMA_HOST"}}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["machine"]["cpu_count"] == os.cpu_count()
    assert report["machine"]["command"].startswith("coach bench --deals 12")
    size = report["sizes"][0]
    assert size["deals"] == 12 and size["index"]["indexed_docs"] > 100
    assert "synthetic document vectors" in size["vectors"]
    for key in ("roleplay", "live", "concurrency"):
        assert {"p50_ms", "p95_ms"} <= set(size[key]), key
    assert size["roleplay"]["n"] == 2  # one turn per language
    assert size["concurrency"]["turns_ok"] + size["concurrency"]["errors"] == 1
    assert size["concurrency"]["server_peak_rss_mb"] > 50
    ingest = report["ingest"]
    assert ingest["deals"] == 1 and ingest["turns"] > 0 and ingest["ratio_to_bare_embedding"] > 0


@pytest.mark.slow
def test_scale_builder_resumes_each_phase_and_reads_older_state(tmp_path, monkeypatch):
    """Vectors first, keywords second, each resumable from the state file; a folder built before the two
    phases (no ``keywords_done``) is not re-indexed."""
    from evals.bench.scale import STATE_FILE, build_scale_home

    home = tmp_path / "scale"
    monkeypatch.setenv("COACH_HOME", str(home))  # restored after the test; the builder points settings at home
    first = build_scale_home(3, home, init=False, progress=False)
    assert first["deals"] == 3 and first["indexed_docs"] == first["turns"] > 10
    state_path = home / STATE_FILE
    log = next(home.glob("bm25/*/docs.jsonl"))
    lines = log.read_text(encoding="utf-8").count("\n")

    state = json.loads(state_path.read_text())
    state.update(keywords_done=1, bm25_saved_at=None)  # killed during the keyword phase
    state_path.write_text(json.dumps(state))
    again = build_scale_home(3, home, init=False, progress=False)
    assert again["indexed_docs"] == first["turns"] and json.loads(state_path.read_text())["keywords_done"] == 3
    grown = log.read_text(encoding="utf-8").count("\n")
    assert lines < grown < 2 * lines  # only deals 1 and 2 were written again

    state = json.loads(state_path.read_text())
    del state["keywords_done"]  # an older folder: keywords were written with the vectors
    state_path.write_text(json.dumps(state))
    build_scale_home(3, home, init=False, progress=False)
    assert log.read_text(encoding="utf-8").count("\n") == grown
