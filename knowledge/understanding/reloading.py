"""One loaded model per artefact file, shared by every caller and loaded again when the file changes (a retrain
writes it in place): the understanding layer and the rep-move heads load their artefacts alike."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from knowledge.embeddings import Embedder, get_embedder

Model = TypeVar("Model")


class ReloadingCache(Generic[Model]):
    def __init__(self, build: Callable[[Path, Embedder], Model]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str, float], Model] = {}

    def get(self, path: Path, embedder: str | None = None) -> Model:
        """The model for ``path`` and the configured (or named) embedder; built once until the file changes."""
        key = (embedder or "", str(path), path.stat().st_mtime)
        with self._lock:
            model = self._loaded.get(key)
            if model is None:
                self._loaded.clear()
                model = self._loaded[key] = self._build(path, get_embedder(embedder))
        return model

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()
