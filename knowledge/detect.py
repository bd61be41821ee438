"""Objection detection and decision-signal tagging: the understanding layer's customer reading, one
``Detection`` per line, for callers that tag lines (ingest, ``coach detect``, live cards, the eval runners).

There is no second cue list here: cue phrases only appear as evidence (``cues``) of what the model decided.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from knowledge.taxonomy import DECISION_SIGNALS
from knowledge.understanding import CustomerReading, UnderstandingModel, get_understanding
from knowledge.understanding.features import detect_lang

__all__ = ["Detection", "Detector", "detect_lang", "detect_many", "detect_objection", "detect_signals", "get_detector"]


class Detection(BaseModel):
    """Which objection an utterance raises (or ``none``), how sure we are, and every class probability.

    ``confidence`` is P(that type) for an objection and 1 − P(objection) for ``none``; both calibrated.
    """

    text: str
    lang: str
    objection: str
    confidence: float = Field(ge=0.0, le=1.0)
    p_objection: float = 0.0
    objections: list[str] = Field(default_factory=list)  # leading type first, then likely secondary types
    scores: dict[str, float] = Field(default_factory=dict)  # calibrated probability per class
    signals: list[str] = Field(default_factory=list)
    buying: float = 0.0
    sentiment: float = 0.0
    question: float = 0.0
    cues: dict[str, list[str]] = Field(default_factory=dict)  # phrases per class: evidence, not the decision
    nearest: list[dict] = Field(default_factory=list)

    @classmethod
    def from_reading(cls, reading: CustomerReading) -> Detection:
        return cls(text=reading.text, lang=reading.lang, objection=reading.objection,
                   confidence=reading.confidence, p_objection=reading.p_objection, objections=reading.objections,
                   scores=reading.probabilities, signals=reading.signals, buying=reading.buying,
                   sentiment=reading.sentiment, question=reading.question, cues=reading.cues,
                   nearest=[e.model_dump() for e in reading.nearest])


class Detector:
    """Detection over one understanding model; batch with ``detect_many`` (one embedding call)."""

    def __init__(self, model: UnderstandingModel | None = None) -> None:
        self.model = model or get_understanding()

    def detect_many(self, texts: Sequence[str], lang: str | None = None, nearest: int = 0,
                    alone: bool = True) -> list[Detection]:
        """``alone``: a batch nothing searches an index with afterwards (see ``UnderstandingModel.read_customers``)."""
        readings = self.model.read_customers(list(texts), lang, nearest=nearest, alone=alone)
        return [Detection.from_reading(r) for r in readings]

    def detect(self, text: str, lang: str | None = None, nearest: int = 0) -> Detection:
        """One line, as a live call reads it: its retrieval vector comes from the same engine call, for a card."""
        return self.detect_many([text], lang, nearest, alone=False)[0]

    def on_real_scale(self, bar: float, p_objection: float | None = None) -> float:
        """A confidence bar set before calibration, on the calibrated scale (see UnderstandingModel)."""
        return self.model.on_real_scale(bar, p_objection)

    def search_vector(self, text: str, index_embedder: str | None):
        """A vector to search an index of ``index_embedder``'s vectors with for ``text``, already computed beside
        its detection, or None."""
        return self.model.search_vector(text, index_embedder)

    def signals(self, text: str) -> list[str]:
        """Decision signals in the utterance, in taxonomy order."""
        found = set(self.detect(text).signals)
        return [name for name in DECISION_SIGNALS if name in found]


_DEFAULT: dict[int, Detector] = {}


def get_detector(embedder_name: str | None = None) -> Detector:
    """A shared Detector over the current understanding model (rebuilt when a retrained model appears)."""
    model = get_understanding(embedder_name)
    held = _DEFAULT.get(id(model))
    if held is None:
        _DEFAULT.clear()
        held = _DEFAULT[id(model)] = Detector(model)
    return held


def detect_objection(text: str, lang: str | None = None) -> Detection:
    """The objection a customer utterance raises, with confidence and per-class probabilities."""
    return get_detector().detect(text, lang)


def detect_many(texts: Sequence[str], lang: str | None = None) -> list[Detection]:
    return get_detector().detect_many(texts, lang)


def detect_signals(text: str) -> list[str]:
    """Decision signals (procurement meeting, budget confirmed, ...) in a customer utterance."""
    return get_detector().signals(text)
