"""`coach serve` warms the understanding model and the index (with its BM25 filter masks) at start, on a
background thread: the page answers at once, and the first trainee turn does not pay for them."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.conftest import free_port, wait_for_port


@pytest.fixture
def served(seeded_home):
    """The real app (build_asgi) under uvicorn on a free port, warming up; its first warm step waits for
    ``release`` so the test can talk to the server while the warm-up is still running."""
    import uvicorn

    from coach.practice import PracticeService
    from coach.roleplay.factory import default_engine
    from ui.server import build_asgi, uvicorn_config
    from ui.services import Services

    release = threading.Event()

    def slow_engine():
        release.wait(120)
        return default_engine()

    services = Services(practice=PracticeService(engine_factory=slow_engine))
    app = build_asgi(services, warm_up=True)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, timeout=60)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "app": app, "release": release}
    finally:
        release.set()
        server.should_exit = True
        thread.join(timeout=20)


def test_the_server_answers_while_it_warms_then_the_model_and_the_filter_masks_are_loaded(served):
    from knowledge.index import get_index
    from knowledge.index.hybrid import WARM_FIELDS
    from knowledge.understanding import get_understanding

    warm = served["app"].state.warm_up
    model = get_understanding()
    index = get_index()
    index.bm25._ensure_model()
    # this process may have loaded both for an earlier test (the model and the index are cached per process):
    # start them cold, as a fresh `coach serve` does (the warm-up is held at its first step, so nothing races)
    model.embedder._inner = None
    index.bm25._masks = {}
    with httpx.Client(timeout=30) as client:
        assert client.get(served["url"] + "/healthz").json() == {"ok": True}
        page = client.get(served["url"] + "/")
    assert page.status_code == 200 and "AI Sales Coach" in page.text
    # the warm-up is still held at its first step: nothing was loaded for the page or the health check
    assert not warm.done.is_set() and warm.thread.is_alive()
    assert model.embedder._inner is None
    assert not any(key[0] == "act" for key in index.bm25._masks)

    served["release"].set()
    assert warm.done.wait(300)
    assert warm.errors == {}, warm.errors
    assert [name.split(" (")[0] for name in warm.ready] == [
        "scenarios", "role-play engine", "understanding model", "index", "live hints"]
    assert model.embedder._inner is not None  # the encoder the grader and the detector read with
    assert served["app"].state.warm_up is warm
    built = {key[0] for key in index.bm25._masks if isinstance(key[0], str)}  # one-field masks (not ANDs)
    assert {"speaker", "act", "lang", "objection", "outcome"} <= built <= set(WARM_FIELDS)
    assert ("act", (repr("end_call"),)) in index.bm25._masks and ("lang", (repr("zh"),)) in index.bm25._masks


def test_a_failing_step_is_reported_and_the_others_still_run():
    from ui.server_warm_up import WarmUp

    said, ran = [], []

    def broken():
        raise RuntimeError("no index yet: run coach init")

    warm = WarmUp(None, steps=[("index", broken), ("model", lambda: ran.append("model") or "ok")], say=said.append)
    warm.start()
    assert warm.done.wait(10)
    assert ran == ["model"] and warm.ready == ["model (ok)"] and "index" in warm.errors
    assert "model (ok)" in said[0] and "index not warmed (RuntimeError: no index yet: run coach init)" in said[0]


def test_coach_serve_logs_that_it_warmed_up(app_server):
    """The real `coach serve` process (the one `make run` starts) warms up by itself and says so."""
    log = app_server.home / "server.log"
    deadline = time.time() + 300
    while time.time() < deadline and "warmed up in" not in log.read_text():
        time.sleep(1)
    text = log.read_text()
    assert "warmed up in" in text and "understanding model" in text and "filter masks" in text, text[-2000:]
    assert "not warmed" not in text, text[-2000:]
