"""The understanding layer: what a customer line says and what a rep reply does to it, from learned heads.

Two entry points, both batched (one embedding call for a whole batch):
- ``read_customers(texts)``: objection-type probabilities over the 10 types + none (calibrated; the ``none``
  confidence is 1 − P(objection)), decision and buying signals, sentiment, and whether it asks a question.
- ``read_replies(pairs)``: which playbook steps a reply performs and which anti-patterns it shows, how
  relevant it is to the customer's concern, whether it answers the customer's question, and a 0–100 score
  that combines them with the rubric weights.
Every decision keeps its evidence: the phrases that carried it and the nearest labelled examples.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr

from knowledge.embeddings import Embedder
from knowledge.settings import SetupError
from knowledge.taxonomy import ANTI_PATTERNS, DECISION_SIGNALS, NO_OBJECTION, OBJECTION_TYPES, STEPS
from knowledge.understanding.answer_form import answer_form_matrix, question_form
from knowledge.understanding.calibration import PriorShift
from knowledge.understanding.features import (
    CueSet,
    customer_features,
    detect_lang,
    length_free,
    pair_features,
    strip_fillers,
)
from knowledge.understanding.heads import LinearHead, sigmoid
from knowledge.understanding.neighbours import Blend, PairVote, neighbour_vote
from knowledge.understanding.placeholders import with_stand_ins

CLASSES: tuple[str, ...] = (*OBJECTION_TYPES, NO_OBJECTION)
SIGNALS: tuple[str, ...] = (*DECISION_SIGNALS, "buying_signal")
SECONDARY = 0.25  # a second objection type is listed when its probability reaches this
# A grade is marked unsure when P(ignore_objection) lies within this distance of 0.5. That reading carries the
# score's largest weight, and where it cannot decide, the score is often far off. On the JDDC tune half, 23 % of
# replies fall in the band and 73 % of those scored more than 25 points from our label (29 % of the rest). The
# band is the widest of ±0.15 / 0.20 / 0.25 whose marked replies are at least 70 % such misses (README).
UNSURE_BAND = 0.15


class Example(BaseModel):
    """A labelled line from the training data that lies near the one being read (why the model decided)."""

    text: str
    label: str
    similarity: float


class CustomerReading(BaseModel):
    text: str
    lang: str
    objection: str  # the leading type, or "none" when P(objection) is below the threshold
    confidence: float = Field(ge=0.0, le=1.0)  # P(that type), or 1 − P(objection) for "none"
    p_objection: float
    objections: list[str] = Field(default_factory=list)  # leading type first, then likely secondary types
    probabilities: dict[str, float] = Field(default_factory=dict)
    signals: list[str] = Field(default_factory=list)
    signal_probabilities: dict[str, float] = Field(default_factory=dict)
    buying: float = 0.0  # P(buying signal: accepts, wants to order, agrees to go ahead)
    sentiment: float = 0.0  # expected value in [-1, 1]
    question: float = 0.0  # P(the customer asks something that expects an answer)
    cues: dict[str, list[str]] = Field(default_factory=dict)  # phrases per class (evidence, not the decision)
    nearest: list[Example] = Field(default_factory=list)
    _p_raw: float | None = PrivateAttr(default=None)  # P(objection) before calibration (the reply heads' input)


class ReplyReading(BaseModel):
    customer: str
    reply: str
    lang: str
    steps: dict[str, float]  # P(step performed on the customer's concern)
    anti_patterns: dict[str, float]
    relevance: float  # expected relevance in [0, 1]
    off_topic: float  # P(relevance 0: unrelated or deflecting)
    answers_question: float | None  # P(answers it), None when the customer asked nothing
    quality: float  # the learned 0–1 quality of the pair before the rubric is applied
    objection: str = NO_OBJECTION  # what the customer line raises, as read in the same pass
    asks_question: float = 0.0  # P(the reply itself asks the customer something)
    unsure: bool = False  # the score is likely far off: whether the reply ignores the customer is undecided
    nearest: list[Example] = Field(default_factory=list)
    _vector: np.ndarray | None = PrivateAttr(default=None)  # the reply's embedding, for evidence look-ups

    def shown(self, threshold: float = 0.5) -> list[str]:
        return [a for a in ANTI_PATTERNS if self.anti_patterns.get(a, 0.0) >= threshold]


@dataclass
class Combiner:
    """score = 100·σ(a0 + a1·coverage + a2·relevance + a3·logit(quality) + Σ b_k·P(anti_k)) · (1 − P(off))^g,
    a1..a3 ≥ 0, b ≤ 0, g ≥ 0.

    ``coverage`` is the rubric-weighted mean of step probabilities, so a heavier weight on a step the reply
    performs raises the score and a heavier weight on one it misses lowers it. The off-topic gate ``g`` makes
    the score fall with P(relevance 0) however well-worded the reply is: inside the sum, a confident upsell
    after a delivery question kept its points from quality and wording (an artefact without ``g`` has none).
    """

    params: np.ndarray  # (4 + len(ANTI_PATTERNS),) or (5 + len(ANTI_PATTERNS),) with the off-topic gate last

    @property
    def gate(self) -> float:
        return float(self.params[4 + len(ANTI_PATTERNS)]) if len(self.params) > 4 + len(ANTI_PATTERNS) else 0.0

    def score(self, coverage, relevance, quality, anti, off_topic=None) -> np.ndarray:
        p = self.params
        q = np.clip(np.asarray(quality, dtype=np.float64), 1e-3, 1 - 1e-3)
        n = len(ANTI_PATTERNS)
        z = p[0] + p[1] * coverage + p[2] * relevance + p[3] * np.log(q / (1 - q)) + np.asarray(anti) @ p[4:4 + n]
        score = 100.0 * sigmoid(z)
        if self.gate and off_topic is not None:
            score = score * np.clip(1.0 - np.asarray(off_topic, dtype=np.float64), 0.0, 1.0) ** self.gate
        return score


class UnderstandingModel:
    """Loaded from one trained artefact (``.npz``) and given the encoders it was trained with: ``embedder`` reads
    replies and both sides of a pair (the reply heads), ``customer_embedder`` (default: the same) reads customer
    lines for the customer heads. With a tuned encoder the two differ (see ``encoder``), and a pair's customer
    line is read by both."""

    def __init__(self, path: str | Path, embedder: Embedder, customer_embedder: Embedder | None = None,
                 pair_embedder: Embedder | None = None) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.customer_embedder = customer_embedder or embedder
        # a pair's customer line as the reply heads read it: ``embedder``'s model, from the twin engine's base half
        # when the two encoders run as one (encoder.pair_customer_embedder)
        self.pair_embedder = pair_embedder or embedder
        with np.load(self.path, allow_pickle=False) as data:
            self.meta = json.loads(str(data["meta"]))
            self.cues = CueSet.from_json(self.meta["cues"])
            self.heads = {name: LinearHead.load(name, data) for name in
                          ("objection", "signals", "sentiment", "question",
                           "steps", "anti", "relevance", "answers", "quality")}
            # whether a reply asks something, on the reply encoder's vectors (the question head when one encoder)
            self.heads["reply_question"] = (LinearHead.load("reply_question", data) if "reply_question.meta" in data
                                            else self.heads["question"])
            self.combiner = Combiner(np.asarray(data["combiner"], dtype=np.float64))
            self._examples = {kind: _ExampleBank.load(kind, data) for kind in ("customer", "reply")}
            self.pair_vote, self._pair_bank, self._pair_labels = None, None, None
            if self.meta.get("pair_vote"):  # see neighbours.PairVote
                self.pair_vote = PairVote(**self.meta["pair_vote"])
                self._pair_bank = self.pair_vote.stack(np.asarray(data["pair_vote.customers"], np.float32) / 127.0,
                                                       np.asarray(data["pair_vote.replies"], np.float32) / 127.0)
                self._pair_labels = np.asarray(data["pair_vote.labels"], dtype=int)
            self.off_topic_vote, self._off_topic_labels = None, None
            if self.meta.get("off_topic_vote") and self._pair_bank is not None:  # the same pairs, another label
                self.off_topic_vote = PairVote(**self.meta["off_topic_vote"])
                self._off_topic_labels = np.asarray(data["pair_vote.off_topic"], dtype=int)
        wanted = self.meta.get("customer_embedder")  # set when the customer heads were fit on another encoder
        if wanted and getattr(self.customer_embedder, "name", None) != wanted:
            raise SetupError(f"{self.path}: its customer heads read lines through {wanted}, not "
                             f"{getattr(self.customer_embedder, 'name', '?')}; load it with that encoder "
                             "(knowledge.understanding.get_understanding does), or run `coach train`")
        self.blend = Blend(**self.meta["neighbours"]) if self.meta.get("neighbours") else None
        self.calibration = PriorShift(**self.meta["calibration"]) if self.meta.get("calibration") else None
        bank = self._examples["customer"]
        classes = np.array([CLASSES.index(label) if label in CLASSES else -1 for label in bank.labels], dtype=int)
        self._vote_bank, self._vote_labels = bank.vectors[classes >= 0], classes[classes >= 0]
        self._raw_threshold = float(self.meta.get("threshold", 0.5))  # decides on the training-mix probability
        # the same decision on the calibrated probability (see calibration.PriorShift)
        self.threshold = self.calibration.threshold(self._raw_threshold) if self.calibration else self._raw_threshold
        self.default_weights = {s: float(v) for s, v in self.meta["default_weights"].items()}

    # -- customer lines ---------------------------------------------------------------------------------

    @property
    def two_encoders(self) -> bool:
        return self.customer_embedder is not self.embedder

    def _embed(self, texts: Sequence[str], embedder: Embedder | None = None, alone: bool = False) -> np.ndarray:
        unique = list(dict.fromkeys(t or "." for t in texts))
        embedder = embedder or self.embedder
        embed = embedder.embed_alone if alone and hasattr(embedder, "embed_alone") else embedder.embed
        vectors = (embed([with_stand_ins(t) for t in unique], kind="query") if unique
                   else np.zeros((0, 1), dtype=np.float32))
        where = {t: i for i, t in enumerate(unique)}
        return vectors[[where[t or "."] for t in texts]] if texts else vectors

    def _embed_customers(self, texts: Sequence[str], alone: bool = False) -> np.ndarray:
        return self._embed(texts, self.customer_embedder, alone)

    def embed_ahead(self, texts: Sequence[str]) -> None:
        """Embed customer lines now (into the encoders' caches), exactly as ``read_replies`` will key them, so
        the later grade of a reply to them embeds the reply alone."""
        texts = [str(t).strip() for t in texts]
        if self.two_encoders:
            self._embed_customers(texts)  # with the twin, this fills the pair embedder's half too
        self._embed(texts, self.pair_embedder)

    def search_vector(self, text: str, index_embedder: str | None) -> np.ndarray | None:
        """The line's retrieval-model vector when the twin engine made it beside the tuned one (a live card searches
        won deals with it instead of embedding the line again); None when the encoders run apart, or when the index
        (its embedder named ``index_embedder``) holds another model's vectors."""
        if self.pair_embedder is self.embedder or index_embedder != getattr(self.embedder, "name", None):
            return None
        return self._embed([str(text).strip()], self.pair_embedder)[0]

    def read_customers(self, texts: Sequence[str], lang: str | None = None, vectors: np.ndarray | None = None,
                       nearest: int = 0, alone: bool = False) -> list[CustomerReading]:
        """Read many customer lines with one embedding batch (``vectors``: theirs from the customer encoder).
        ``alone``: nothing will want these lines' retrieval vectors (a batch to detect), so with the twin engine
        the tuned encoder runs by itself (the same readings, a quarter fewer layer passes)."""
        texts = [str(t).strip() for t in texts]
        if not texts:
            return []
        vectors = self._embed_customers(texts, alone) if vectors is None else vectors
        features = customer_features(vectors, texts, self.cues)
        raw = self.objection_probabilities(vectors, features, calibrated=False)
        probs = self.calibrate(raw)
        raw_p = 1.0 - raw[:, CLASSES.index(NO_OBJECTION)]
        signal_probs = self.heads["signals"].predict(features)
        sentiment = self.heads["sentiment"].predict(features) @ np.array([-1.0, 0.0, 1.0])
        question = self.asks(features, texts)
        out = []
        for i, text in enumerate(texts):
            reading = self._customer(text, lang, probs[i], signal_probs[i], float(sentiment[i]),
                                     float(question[i]), vectors[i], nearest, raw[i])
            reading._p_raw = round(float(raw_p[i]), 4) if text else 0.0  # as p_objection was
            out.append(reading)
        return out

    def asks(self, features: np.ndarray, texts: list[str], head: str = "question") -> np.ndarray:
        """P(the line asks something that expects an answer); an artefact with ``question_form`` also reads
        the line's grammar (a tag question 「…有赠送吧」 / "…, right?" is a question). ``head`` "reply_question"
        reads a reply on the reply encoder's vectors."""
        if self.meta.get("question_form"):
            features = np.hstack([features, question_form(texts)])
        return self.heads[head].predict(features)[:, 0]

    def objection_probabilities(self, vectors: np.ndarray, features: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """The linear head's class probabilities, joined with the nearest labelled lines' vote when the
        artefact carries a blend (see ``neighbours``), and calibrated for real conversations when it carries
        a calibration (see ``calibration``)."""
        probs = self.heads["objection"].predict(features)
        if self.blend is not None and len(self._vote_labels):
            vote = neighbour_vote(self._vote_bank, self._vote_labels, vectors, len(CLASSES), self.blend.k,
                                  self.blend.temperature, self.blend.smoothing)
            probs = self.blend.combine(probs, vote, CLASSES.index(NO_OBJECTION))
        return self.calibrate(probs) if calibrated else probs

    def calibrate(self, probs: np.ndarray) -> np.ndarray:
        """P(none) = 1 − the calibrated P(objection); the types share the rest in their blended ratio."""
        if self.calibration is None:
            return probs
        none_index = CLASSES.index(NO_OBJECTION)
        p_objection = self.calibration.apply(1.0 - probs[:, none_index])
        types = np.array(probs, dtype=np.float64)
        types[:, none_index] = 0.0
        out = types / np.maximum(types.sum(axis=1, keepdims=True), 1e-12) * p_objection[:, None]
        out[:, none_index] = 1.0 - p_objection
        return out

    def on_real_scale(self, bar: float, p_objection: float | None = None) -> float:
        """A bar a consumer set before calibration, as the same bar on the calibrated scale: calibration changes
        how sure a reading says it is, and must not change what a consumer does with it.

        Without ``p_objection`` the bar is on P(objection) (the chat guard's ceiling). With a line's calibrated
        P(objection) it is a bar on that line's P(type) (live cards' minimum confidence): the types keep their
        share of P(objection), so the bar scales with calibrated / uncalibrated P(objection)."""
        if self.calibration is None:
            return bar
        if p_objection is None:
            return self.calibration.threshold(bar)
        raw = float(self.calibration.invert(p_objection))
        return bar * float(p_objection) / raw if raw > 0 else bar

    def raw_p_objection(self, reading: CustomerReading) -> float:
        """P(objection) before calibration, as the reply heads were trained to read it."""
        raw = getattr(reading, "_p_raw", None)  # a reading from read_customers carries it
        if raw is not None:
            return raw
        if self.calibration is None:
            return reading.p_objection
        return float(self.calibration.invert(reading.p_objection))

    def _customer(self, text, lang, probs, signal_probs, sentiment, question, vector, nearest,
                  raw) -> CustomerReading:
        """``probs`` are calibrated and reported; ``raw`` (before calibration) takes the decisions, which
        calibration must not move."""
        lang = lang or detect_lang(text)
        none_index = CLASSES.index(NO_OBJECTION)
        p_objection = float(1.0 - probs[none_index]) if text else 0.0
        types = np.argsort(-np.where(np.arange(len(CLASSES)) == none_index, -1.0, probs))
        best = CLASSES[int(types[0])]
        cues = {name: [phrase] for name in (*OBJECTION_TYPES, *DECISION_SIGNALS)
                if name in self.cues.names and (phrase := self.cues.first(name, text))}
        signals = [s for s, p in zip(SIGNALS, signal_probs, strict=True) if p >= 0.5]
        if text and 1.0 - raw[none_index] >= self._raw_threshold:  # = calibrated p_objection ≥ self.threshold
            objection, confidence = best, float(probs[int(types[0])])
            secondary = [CLASSES[int(i)] for i in types[1:3] if raw[int(i)] >= SECONDARY]
            objections = [best, *secondary]
        else:
            objection, confidence, objections = NO_OBJECTION, 1.0 - p_objection, []
        examples = self._examples["customer"].nearest(vector, lang, nearest) if nearest else []
        return CustomerReading(
            text=text, lang=lang, objection=objection, confidence=round(min(1.0, max(0.0, confidence)), 4),
            p_objection=round(p_objection, 4), objections=objections,
            probabilities={c: round(float(p), 4) for c, p in zip(CLASSES, probs, strict=True)},
            signals=[s for s in signals if s in DECISION_SIGNALS],
            signal_probabilities={s: round(float(p), 4) for s, p in zip(SIGNALS, signal_probs, strict=True)},
            buying=round(float(signal_probs[SIGNALS.index("buying_signal")]), 4),
            sentiment=round(sentiment, 4), question=round(question, 4), cues=cues, nearest=examples)

    # -- rep replies --------------------------------------------------------------------------------------

    def read_replies(self, pairs: Sequence[tuple[str, str]], nearest: int = 0,
                     customers: list[CustomerReading] | None = None) -> list[ReplyReading]:
        """Read many (customer line, reply) pairs with one embedding batch for all their texts."""
        pairs = [(str(c).strip(), strip_fillers(str(r).strip())) for c, r in pairs]
        if not pairs:
            return []
        customer_texts = [c for c, _ in pairs]
        reply_texts = [r for _, r in pairs]
        # the customer encoder first: with the twin, that one call gives the pair embedder's vectors too
        tuned = self._embed_customers(customer_texts) if self.two_encoders and not customers else None
        if self.pair_embedder is self.embedder:
            vectors = self._embed([*customer_texts, *reply_texts])
            cvec, rvec = vectors[:len(pairs)], vectors[len(pairs):]
        else:
            cvec, rvec = self._embed(customer_texts, self.pair_embedder), self._embed(reply_texts)
        customers = customers or self.read_customers(customer_texts, vectors=cvec if tuned is None else tuned)
        cprobs = np.array([[self.raw_p_objection(c), c.question] for c in customers], dtype=np.float32)
        features = pair_features(cvec, rvec, customer_texts, reply_texts, self.cues, cprobs)
        tail = 0
        form = self.meta.get("answer_form") or ()  # see answer_form: a polar question met by a polar answer
        if form:
            features = np.hstack([features, answer_form_matrix(customer_texts, reply_texts, form)])
            tail = len(form)
        anti = self.heads["anti"].predict(features)
        shared = None  # both pair votes search the same bank alike: find the nearest pairs once (~1.5 ms)
        if self.pair_vote is not None and self.off_topic_vote is not None and len(self._pair_bank) and len(pairs) \
                and (self.pair_vote.customer_share, self.pair_vote.k) == \
                (self.off_topic_vote.customer_share, self.off_topic_vote.k):
            shared = self.pair_vote.nearest(self._pair_bank, cvec, rvec)
        if self.pair_vote is not None:
            j = ANTI_PATTERNS.index(self.pair_vote.label)
            anti[:, j] = self.pair_vote.blend(anti[:, j], self._pair_bank, self._pair_labels, cvec, rvec, shared)
        step_features = features
        if self.meta.get("reply_length_free"):  # see features.length_free
            step_features = length_free(features, self.cues, tail=tail)
            features = length_free(features, self.cues, bool(self.meta.get("reply_cue_free")), tail)
        steps = self.heads["steps"].predict(step_features)
        relevance = self.heads["relevance"].predict(features)
        if self.off_topic_vote is not None:  # P(relevance 0) from the vote; the other two keep their ratio
            off = self.off_topic_vote.blend(relevance[:, 0], self._pair_bank, self._off_topic_labels, cvec, rvec,
                                            shared)
            rest = relevance[:, 1:] / np.maximum(relevance[:, 1:].sum(axis=1, keepdims=True), 1e-12)
            relevance = np.hstack([off[:, None], rest * (1.0 - off)[:, None]])
        answers = self.heads["answers"].predict(features)[:, 0]
        quality = np.clip(self.heads["quality"].predict(features)[:, 0], 0.0, 1.0)
        own_question = self.asks(customer_features(rvec, reply_texts, self.cues), reply_texts, "reply_question")
        out = []
        ignore = ANTI_PATTERNS.index("ignore_objection")
        for i, (customer, reply) in enumerate(pairs):
            asked = customers[i].question >= 0.5
            reading = ReplyReading(
                customer=customer, reply=reply, lang=detect_lang(reply or customer),
                steps={s: round(float(p), 4) for s, p in zip(STEPS, steps[i], strict=True)},
                anti_patterns={a: round(float(p), 4) for a, p in zip(ANTI_PATTERNS, anti[i], strict=True)},
                relevance=round(float(relevance[i] @ np.array([0.0, 0.5, 1.0])), 4),
                off_topic=round(float(relevance[i][0]), 4),
                answers_question=round(float(answers[i]), 4) if asked else None,
                quality=round(float(quality[i]), 4), objection=customers[i].objection,
                asks_question=round(float(own_question[i]), 4) if reply else 0.0,
                unsure=bool(abs(float(anti[i, ignore]) - 0.5) < UNSURE_BAND),
                nearest=self._examples["reply"].nearest(rvec[i], detect_lang(reply or customer), nearest)
                if nearest else [])
            reading._vector = rvec[i]
            out.append(reading)
        return out

    def nearest_replies(self, reading: ReplyReading, k: int, label: str | None = None) -> list[Example]:
        """Labelled training replies nearest to the one read (in its language), optionally with ``label``."""
        vector = reading._vector if reading._vector is not None else self._embed([reading.reply])[0]
        return self._examples["reply"].nearest(vector, reading.lang, k, label=label)

    def score(self, readings: Sequence[ReplyReading], weights: dict[str, float] | None = None) -> list[int]:
        """0–100 per reading: the fitted combination of steps (under the rubric weights), relevance,
        quality and anti-patterns."""
        if not readings:
            return []
        weights = weights or self.default_weights
        w = np.array([max(0.0, float(weights.get(s, 0.0))) for s in STEPS])
        w = w / w.sum() if w.sum() > 0 else np.full(len(STEPS), 1.0 / len(STEPS))
        step_probs = np.array([[r.steps[s] for s in STEPS] for r in readings])
        anti = np.array([[r.anti_patterns[a] for a in ANTI_PATTERNS] for r in readings])
        scores = self.combiner.score(step_probs @ w, np.array([r.relevance for r in readings]),
                                     np.array([r.quality for r in readings]), anti,
                                     np.array([r.off_topic for r in readings]))
        return [int(round(float(s))) for s in np.clip(scores, 0, 100)]


class _ExampleBank:
    """Labelled training lines (int8 vectors) for 'nearest examples' evidence, per language."""

    def __init__(self, vectors: np.ndarray, texts: list[str], labels: list[str], langs: list[str]) -> None:
        self.vectors, self.texts, self.labels, self.langs = vectors, texts, labels, np.array(langs)
        self._rows: dict[tuple[str, str | None], np.ndarray] = {}  # (lang, label) → the rows that may be shown

    @classmethod
    def load(cls, kind: str, data) -> _ExampleBank:
        vectors = np.asarray(data[f"examples.{kind}.vectors"], dtype=np.float32) / 127.0
        return cls(vectors, [str(t) for t in data[f"examples.{kind}.texts"].tolist()],
                   [str(t) for t in data[f"examples.{kind}.labels"].tolist()],
                   [str(t) for t in data[f"examples.{kind}.langs"].tolist()])

    def nearest(self, vector: np.ndarray, lang: str, k: int, label: str | None = None) -> list[Example]:
        if not len(self.texts):
            return []
        rows = self._rows.get((lang, label))
        if rows is None:  # the same few (language, label) choices every grade: found once, not per call
            mask = self.langs == lang
            if label is not None:
                mask &= np.array([label in lab.split(",") for lab in self.labels])
            rows = self._rows[(lang, label)] = np.flatnonzero(mask)
        if not len(rows) or k <= 0:
            return []
        sims = (self.vectors @ vector)[rows]  # one product over the bank is cheaper than gathering its rows
        top = np.argpartition(-sims, k - 1)[:k] if len(rows) > k else np.arange(len(rows))
        top = top[np.argsort(-sims[top])]
        return [Example(text=self.texts[rows[i]], label=self.labels[rows[i]], similarity=round(float(sims[i]), 4))
                for i in top]
