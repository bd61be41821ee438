"""Objection detection and decision-signal tagging for any customer utterance, Chinese or English.

Two views are fused: embedding similarity to the playbook trigger exemplars (plus non-objection
exemplars as the ``none`` anchor), and lexical cue phrases from the same playbooks. Weights and
thresholds were chosen on ``evals/grading`` tune split only; the held-out split measures them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from knowledge.embeddings import Embedder, get_embedder
from knowledge.playbooks import load_playbooks, load_shared
from knowledge.taxonomy import DECISION_SIGNALS, NO_OBJECTION, OBJECTION_TYPES

CLASSES: tuple[str, ...] = (*OBJECTION_TYPES, NO_OBJECTION)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def detect_lang(text: str) -> str:
    """'zh' when at least a fifth of the letters are CJK, else 'en'."""
    cjk = len(_CJK.findall(text))
    letters = sum(ch.isalpha() for ch in text) or 1
    return "zh" if cjk / letters >= 0.2 else "en"


class Detection(BaseModel):
    """Which objection an utterance raises (or ``none``), how sure we are, and every class score."""

    text: str
    lang: str
    objection: str
    confidence: float = Field(ge=0.0, le=1.0)
    objections: list[str] = Field(default_factory=list)  # primary first, then secondary types above threshold
    scores: dict[str, float] = Field(default_factory=dict)
    cues: dict[str, list[str]] = Field(default_factory=dict)  # lexical cue matches per class (the evidence)


@dataclass(frozen=True)
class DetectorConfig:
    """Fusion weights and thresholds (tuned on the tune split)."""

    temperature: float = 0.02  # softmax temperature over per-class similarity
    top_k: int = 2  # mean of the k most similar exemplars per class
    embed_weight: float = 0.8
    lexical_weight: float = 0.2
    lexical_per_hit: float = 0.8
    threshold: float = 0.25  # below this the utterance is ``none``
    secondary_threshold: float = 0.15


class Detector:
    """Holds the exemplar matrix for one embedder and one set of playbooks; reuse it (building embeds ~200 lines)."""

    def __init__(self, embedder: Embedder | None = None, playbook_dir: str | Path | None = None,
                 config: DetectorConfig | None = None, playbooks: dict | None = None) -> None:
        self.embedder = embedder or get_embedder()
        self.config = config or DetectorConfig()
        playbooks = playbooks if playbooks is not None else load_playbooks(playbook_dir)
        self.playbooks = playbooks
        shared = load_shared()
        texts: list[str] = []
        labels: list[int] = []
        self._patterns: dict[str, list[re.Pattern]] = {}
        for index, name in enumerate(CLASSES):
            if name == NO_OBJECTION:
                examples = [*shared.non_objection_exemplars.zh, *shared.non_objection_exemplars.en]
                self._patterns[name] = []
            else:
                book = playbooks[name]
                examples = [*book.triggers.exemplars.zh, *book.triggers.exemplars.en]
                phrases = [*book.triggers.phrases.zh, *book.triggers.phrases.en]
                self._patterns[name] = [re.compile(p, re.IGNORECASE) for p in phrases]
            texts.extend(examples)
            labels.extend([index] * len(examples))
        self._matrix = self.embedder.embed(texts, kind="query")
        self._labels = np.asarray(labels)
        self._signals = {
            name: [re.compile(p, re.IGNORECASE) for p in [*cues.zh, *cues.en]]
            for name, cues in shared.decision_signals.items()
        }

    def _lexical(self, text: str) -> tuple[np.ndarray, dict[str, list[str]]]:
        scores = np.zeros(len(CLASSES), dtype=np.float32)
        found: dict[str, list[str]] = {}
        for index, name in enumerate(CLASSES):
            hits = [m.group(0) for p in self._patterns[name] if (m := p.search(text))]
            if hits:
                found[name] = hits
                scores[index] = min(1.0, self.config.lexical_per_hit * len(hits))
        return scores, found

    def _embedding_scores(self, vectors: np.ndarray) -> np.ndarray:
        sims = vectors @ self._matrix.T  # (n, exemplars)
        k = self.config.top_k
        per_class = np.zeros((len(vectors), len(CLASSES)), dtype=np.float32)
        for index in range(len(CLASSES)):
            block = sims[:, self._labels == index]
            top = np.sort(block, axis=1)[:, -k:]
            per_class[:, index] = top.mean(axis=1)
        logits = per_class / self.config.temperature
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True)

    def detect_many(self, texts: Sequence[str], lang: str | None = None) -> list[Detection]:
        """Detect objections for many utterances with one embedding batch."""
        texts = [t.strip() for t in texts]
        if not texts:
            return []
        vectors = self.embedder.embed([t or "." for t in texts], kind="query")
        dense = self._embedding_scores(vectors)
        return [self._decide(text, dense[i], lang) for i, text in enumerate(texts)]

    def detect(self, text: str, lang: str | None = None) -> Detection:
        return self.detect_many([text], lang)[0]

    def _decide(self, text: str, dense: np.ndarray, lang: str | None) -> Detection:
        cfg = self.config
        lexical, cues = self._lexical(text)
        fused = cfg.embed_weight * dense + cfg.lexical_weight * lexical
        none_index = CLASSES.index(NO_OBJECTION)
        objection_scores = fused.copy()
        objection_scores[none_index] = -1.0
        order = np.argsort(-objection_scores)
        best = int(order[0])
        scores = {name: round(float(fused[i]), 4) for i, name in enumerate(CLASSES)}
        if not text or objection_scores[best] < cfg.threshold or fused[none_index] > objection_scores[best]:
            confidence = float(min(1.0, max(fused[none_index], 1.0 - objection_scores[best])))
            return Detection(text=text, lang=lang or detect_lang(text), objection=NO_OBJECTION,
                             confidence=round(confidence, 4), objections=[], scores=scores, cues=cues)
        chosen = [CLASSES[best]] + [
            CLASSES[int(i)] for i in order[1:4]
            if objection_scores[i] >= cfg.secondary_threshold and CLASSES[int(i)] in cues
        ]
        return Detection(text=text, lang=lang or detect_lang(text), objection=CLASSES[best],
                         confidence=round(float(min(1.0, objection_scores[best])), 4),
                         objections=chosen, scores=scores, cues=cues)

    def signals(self, text: str) -> list[str]:
        """Decision signals in the utterance, in taxonomy order."""
        return [name for name in DECISION_SIGNALS if any(p.search(text) for p in self._signals.get(name, []))]


_DEFAULT: dict[str, Detector] = {}


def get_detector(embedder_name: str | None = None) -> Detector:
    """A shared Detector for the named (or configured) embedder; rebuilt when the playbooks change (a
    trainer saved one), which costs little because unchanged exemplars come from the embedding cache."""
    key = embedder_name or ""
    playbooks = load_playbooks()
    held = _DEFAULT.get(key)
    if held is None or held.playbooks is not playbooks:
        _DEFAULT[key] = Detector(get_embedder(embedder_name), playbooks=playbooks)
    return _DEFAULT[key]


def detect_objection(text: str, lang: str | None = None) -> Detection:
    """The objection a customer utterance raises, with confidence and per-class scores."""
    return get_detector().detect(text, lang)


def detect_many(texts: Sequence[str], lang: str | None = None) -> list[Detection]:
    return get_detector().detect_many(texts, lang)


def detect_signals(text: str) -> list[str]:
    """Decision signals (procurement meeting, budget confirmed, ...) in a customer utterance; regex only."""
    shared = load_shared()
    return [
        name for name in DECISION_SIGNALS
        if any(re.search(p, text, re.IGNORECASE) for p in [*shared.decision_signals[name].zh,
                                                          *shared.decision_signals[name].en])
    ]
