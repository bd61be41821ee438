"""Shared fixtures: every test gets its own COACH_HOME and no API keys; fakes for the LLM and a browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _reset_caches() -> None:
    from knowledge import db, settings

    settings.get_settings.cache_clear()
    db.reset_engines()


@pytest.fixture(scope="session")
def assembled_models(tmp_path_factory) -> Path:
    """One folder for the tuned encoder assembled from the shipped delta (71 MB), shared by every test's home."""
    return tmp_path_factory.mktemp("assembled-models")


@pytest.fixture(autouse=True)
def coach_env(tmp_path, monkeypatch, assembled_models):
    """Isolate every test: a temporary COACH_HOME, offline model, no OpenAI keys, no hub access."""
    for key in list(os.environ):
        if key.startswith(("OPENAI_", "COACH_")) or key in {"DATABASE_URL", "CHROMA_HOST", "CHROMA_PORT"}:
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "coach-home"
    monkeypatch.setenv("COACH_HOME", str(home))
    monkeypatch.setenv("COACH_MODEL_DIR", str(assembled_models))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.setenv("COACH_TTS", "espeak")  # never probe Microsoft's TTS service from a test
    monkeypatch.chdir(tmp_path)  # a developer's .env must not leak into tests
    _reset_caches()
    yield home
    _reset_caches()


@pytest.fixture
def db(coach_env):
    """A migrated database under the test's COACH_HOME."""
    from coach.database import init_db

    init_db()
    return coach_env


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory, assembled_models):
    """One COACH_HOME initialised with the bundled sample (database, index, demo users), built once."""
    home = tmp_path_factory.mktemp("seeded-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
    env.update(COACH_HOME=str(home), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", COACH_TTS="espeak",
               COACH_MODEL_DIR=str(assembled_models))
    subprocess.run([sys.executable, "-c", "from ui.cli import main; main()", "init", "--demo", "--json"], env=env,
                   check=True, cwd=home, stdout=subprocess.DEVNULL)
    return home


@pytest.fixture
def seeded_home(_seeded_template, coach_env):
    """This test's COACH_HOME as a copy of the initialised sample home (deals indexed, users, scenarios)."""
    shutil.rmtree(coach_env, ignore_errors=True)
    shutil.copytree(_seeded_template, coach_env)
    _reset_caches()
    return coach_env


@pytest.fixture
def fake_openai(monkeypatch):
    """A fake OpenAI-compatible server on 127.0.0.1, with the env pointing the app at it."""
    from coach.llm.fake_server import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("COACH_LLM_MODEL", "fake-model")
        _reset_caches()
        yield server
    _reset_caches()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class ServerURL(str):
    """The served app's base URL; ``.home`` is its COACH_HOME (tests may add data there)."""

    home: Path


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """A real `coach serve` process on a free port with its own initialised COACH_HOME."""
    home = tmp_path_factory.mktemp("served-home")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
    env.update(COACH_HOME=str(home), COACH_PORT=str(port), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               COACH_TTS="espeak")
    coach = [sys.executable, "-c", "from ui.cli import main; main()"]
    subprocess.run([*coach, "init", "--demo"], env=env, check=True, cwd=home)
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen([*coach, "serve"], env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        url = ServerURL(f"http://127.0.0.1:{port}")
        url.home = home
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright; skips with a reason where it is missing.

    Module-scoped: Playwright's sync API keeps an event loop running in the main thread while it is open,
    which would break later tests that call asyncio.run()."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def shots(request):
    """A folder for this test's screenshots under test-output/."""
    folder = ROOT / "test-output" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shared_dataset(name: str) -> Path:
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (third-party datasets live in ../shared/datasets beside the project)")
    return path
