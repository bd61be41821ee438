"""What a rep reply does, as probabilities: P(asks about a topic), P(makes an offer), P(orders the customer
around), P(small talk), P(pressure to close), P(runs a vendor down), P(argues on cost), for a batch of replies.

One job: load ``moves-<embedder>.npz`` (written by ``evals.understanding.train_moves``) and apply its one-vs-rest
logistic heads to [reply embedding | cue-hit features]. The cue hits are computed by the caller (the cue list
belongs to the role-play package, above this one) and passed in by name; the artefact names the features it was
trained on, so a reordering cannot go unnoticed. The embedding is keyed exactly as the understanding layer keys
a reply (``strip_fillers``, kind "query"), so in a graded turn it comes from the embedder's cache: the head adds
a dot product, not an encoder pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.settings import SetupError
from knowledge.understanding.features import strip_fillers
from knowledge.understanding.heads import LinearHead
from knowledge.understanding.placeholders import with_stand_ins
from knowledge.understanding.reloading import ReloadingCache


def moves_name(embedder: str) -> str:
    return f"moves-{embedder.replace('/', '_')}.npz"


def reply_key(text: str) -> str:
    """The text the understanding layer embeds for a reply: the same key reuses its cached vector."""
    return with_stand_ins(strip_fillers(str(text or "").strip())) or "."


class MovesModel:
    """The rep-move heads of one artefact, given the embedder they were trained with."""

    def __init__(self, path: str | Path, embedder: Embedder) -> None:
        self.path = Path(path)
        self.embedder = embedder
        with np.load(self.path, allow_pickle=False) as data:
            self.meta = json.loads(str(data["meta"]))
            self.head = LinearHead.load("moves", data)
        self.features: tuple[str, ...] = tuple(self.meta["features"])
        self.thresholds = np.array([self.meta["thresholds"][m] for m in self.head.labels], dtype=np.float32)
        self.embedding_scale = float(self.meta.get("embedding_scale", 1.0))

    @property
    def moves(self) -> tuple[str, ...]:
        return self.head.labels

    def inputs(self, vectors: np.ndarray, cue_hits: Sequence[Mapping[str, float]]) -> np.ndarray:
        """[scaled embedding | cue features in the artefact's order]; an unknown feature name is an error."""
        missing = [name for name in self.features if cue_hits and name not in cue_hits[0]]
        if missing:
            raise SetupError(f"{self.path}: trained on cue features {missing} that the rep-move reader no longer "
                             "computes; run `coach train` to rebuild the rep-move model")
        cues = np.array([[float(hits[name]) for name in self.features] for hits in cue_hits], dtype=np.float32)
        return np.hstack([np.asarray(vectors, dtype=np.float32) * self.embedding_scale,
                          cues.reshape(len(cue_hits), len(self.features))])

    def probabilities(self, texts: Sequence[str], cue_hits: Sequence[Mapping[str, float]],
                      vectors: np.ndarray | None = None) -> np.ndarray:
        """(len(texts), len(moves)) probabilities; one embedding call for the batch (cache hits when graded)."""
        if not texts:
            return np.zeros((0, len(self.moves)), dtype=np.float32)
        if vectors is None:
            vectors = self.embedder.embed([reply_key(t) for t in texts], kind="query")
        return self.head.predict(self.inputs(vectors, cue_hits))

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Booleans per move at the thresholds chosen on the training split's out-of-fold readings."""
        return np.asarray(probabilities) >= self.thresholds


def moves_path(embedder: str | None = None) -> Path:
    from knowledge.understanding.loader import find_artefact

    return find_artefact(moves_name, "rep-move model (the simulated customer cannot tell what a reply asks or "
                         "offers without it)", embedder)


def get_moves(embedder: str | None = None) -> MovesModel:
    """The shared rep-move model for the configured (or named) embedder; reloaded when its file changes."""
    return _CACHE.get(moves_path(embedder), embedder)


_CACHE: ReloadingCache[MovesModel] = ReloadingCache(MovesModel)
