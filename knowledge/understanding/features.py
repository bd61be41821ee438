"""Feature vectors for the learned heads: the sentence embedding plus a few language-neutral surface cues.

Cue phrases from the playbooks are inputs here (hits per objection type, signal, step and anti-pattern), never
decisions. The cue lists used are frozen into the trained artefact, so a trainer editing a playbook changes
the evidence shown, not the model's inputs (same input, same output).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

_CJK = re.compile(r"[\u4e00-\u9fff]")
_UNITS = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9']+")
_QUESTION_END = re.compile(r"[?？]\s*$|[吗呢么嘛][\s。！!~～…]*$|[吗呢]\s*[?？]?\s*\S{0,2}$")
_QUESTION_ANY = re.compile(r"[?？]|吗|呢|\b(what|how|which|when|who|why|where|can|could|would|do|does|is|are)\b",
                           re.IGNORECASE)
_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万两]+(块|元|折|个|天|月|年|%)")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_NEGATION = re.compile(r"不|没|别|\b(no|not|never|nope|can't|cannot|won't|don't|doesn't|isn't|aren't)\b|n't\b",
                       re.IGNORECASE)
_SPLIT = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)(?!\d)")

# Disfluencies carry no content: a reply padded with them must read like the reply without them.
_FILLERS = re.compile(
    r"(?:^|(?<=[\s，,。.!！?？]))(?:嗯+|呃+|额+|啊+|那个|这个|就是说|怎么说呢|您知道的|你知道的|我们这边呢|然后呢|"
    r"um+|uh+|erm|well|you know|i mean|like|basically|so yeah|kind of|sort of)[，,…]\s*",
    re.IGNORECASE)


def strip_fillers(text: str) -> str:
    """The reply without filler words followed by a pause (嗯，那个，怎么说呢， / um, you know, basically,)."""
    original, previous = text, None
    while previous != text:
        previous, text = text, _FILLERS.sub("", text)
    return text.strip() or original.strip()


SURFACE_NAMES = ("question_end", "question_any", "digits", "log_units", "short", "emoji", "negation", "exclaim")


def detect_lang(text: str) -> str:
    """'zh' when at least a fifth of the letters are CJK, else 'en'."""
    cjk = len(_CJK.findall(text))
    letters = sum(ch.isalpha() for ch in text) or 1
    return "zh" if cjk / letters >= 0.2 else "en"


def units(text: str) -> int:
    """Characters for Chinese, words for English: the unit length is measured in."""
    return len(_UNITS.findall(text))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text) if s.strip()]


def is_question(text: str) -> bool:
    return bool(_QUESTION_END.search(text.strip()))


def surface(text: str) -> np.ndarray:
    """Eight cues that mean the same in both languages, each scaled to about [0, 1]."""
    n = max(1, units(text))
    return np.array([
        float(is_question(text)),
        float(bool(_QUESTION_ANY.search(text))),
        float(bool(_DIGIT.search(text))),
        min(1.0, math.log1p(n) / 5.0),
        float(n <= 4),
        min(1.0, len(_EMOJI.findall(text)) / 2.0),
        min(1.0, len(_NEGATION.findall(text)) * 3.0 / n),
        float("!" in text or "！" in text),
    ], dtype=np.float32)


_REGEX_SYNTAX = re.compile(r"[\\.^$*+?{}\[\]|()]")  # a cue without any of these is a plain phrase


@dataclass(frozen=True)
class CueSet:
    """Named groups of regular expressions; ``hits`` gives 1.0 per group with a match."""

    names: tuple[str, ...]
    patterns: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple(
            tuple(re.compile(p, re.IGNORECASE) for p in group) for group in self.patterns))
        # for ``hits``, per group: its plain phrases as lower-case strings (a substring test) and its real patterns as
        # one alternation, the same yes/no as trying each pattern; with the cache below, half the time cue hits took
        # in `python -m evals.understanding.bench` (0.79 → 0.40 s; they were ~9 % of a batched grade)
        plain = tuple(tuple(p.lower() for p in group if not _REGEX_SYNTAX.search(p)) for group in self.patterns)
        object.__setattr__(self, "_plain", plain)
        object.__setattr__(self, "_joined", tuple(
            re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None
            for patterns in ([p for p in group if _REGEX_SYNTAX.search(p)] for group in self.patterns)))
        # a graded reply is read twice (its pair features, whether it asks something): the second read is free
        object.__setattr__(self, "_hit_tuple", functools.lru_cache(maxsize=4096)(self._find))

    def _find(self, text: str) -> tuple[float, ...]:
        low = text.lower()
        return tuple(float(any(p in low for p in plain) or bool(joined and joined.search(text)))
                     for plain, joined in zip(self._plain, self._joined, strict=True))  # type: ignore[attr-defined]

    def hits(self, text: str) -> np.ndarray:
        return np.array(self._hit_tuple(text), dtype=np.float32)  # type: ignore[attr-defined]

    def first(self, name: str, text: str) -> str | None:
        """The first phrase of group ``name`` found in ``text`` (evidence for a decision the model made)."""
        group = self._compiled[self.names.index(name)]  # type: ignore[attr-defined]
        for pattern in group:
            match = pattern.search(text)
            if match and match.group(0).strip():
                return match.group(0)
        return None

    def to_json(self) -> dict:
        return {"names": list(self.names), "patterns": [list(g) for g in self.patterns]}

    @classmethod
    def from_json(cls, data: dict) -> CueSet:
        return cls(tuple(data["names"]), tuple(tuple(g) for g in data["patterns"]))


def customer_features(vectors: np.ndarray, texts: list[str], cues: CueSet) -> np.ndarray:
    """[embedding | cue hits per objection type and signal | surface] for customer lines."""
    extra = np.stack([np.concatenate([cues.hits(t), surface(t)]) for t in texts]) if texts else \
        np.zeros((0, len(cues.names) + len(SURFACE_NAMES)), dtype=np.float32)
    return np.hstack([vectors, extra]).astype(np.float32)


def pair_features(customer_vectors: np.ndarray, reply_vectors: np.ndarray, customers: list[str], replies: list[str],
                  cues: CueSet, customer_probs: np.ndarray) -> np.ndarray:
    """[reply embedding | customer⊙reply | cosine | reply cue hits | reply surface | customer cues] per pair.

    The element-wise product lets a linear head ask "does the reply talk about what the customer talked
    about"; ``customer_probs`` carries P(objection) and P(question) of the customer line.
    """
    cosine = np.sum(customer_vectors * reply_vectors, axis=1, keepdims=True)
    rows = []
    for customer, reply in zip(customers, replies, strict=True):
        ratio = min(3.0, (units(reply) + 1) / (units(customer) + 1)) / 3.0
        rows.append(np.concatenate([cues.hits(reply), surface(reply), [ratio]]))
    extra = np.stack(rows) if rows else np.zeros((0, len(cues.names) + len(SURFACE_NAMES) + 1), dtype=np.float32)
    return np.hstack([reply_vectors, customer_vectors * reply_vectors, cosine, extra, customer_probs]).astype(np.float32)


def length_free(features: np.ndarray, cues: CueSet, cue_free: bool = False, tail: int = 0) -> np.ndarray:
    """Pair features with the reply's length cues zeroed (log length, "short", reply/customer ratio).

    The team-written pairs taught the heads that long replies are good; on real chats a short, direct answer
    (「支持的，18W快充」) is often the best one. Every reply head but the anti-patterns (a monologue *is* about
    length) reads the pair without them; with ``cue_free`` the reply's playbook cue hits go too, so relevance
    and the score can only come from what the reply means (the step heads keep them: a step's wording is evidence).
    ``tail`` counts columns appended after ``pair_features`` (the answer form, see ``answer_form``).
    """
    base = features.shape[1] - tail - len(cues.names) - len(SURFACE_NAMES) - 1 - 2  # before the reply cue hits
    reply_surface = base + len(cues.names)
    out = features.copy()
    out[:, [reply_surface + SURFACE_NAMES.index("log_units"), reply_surface + SURFACE_NAMES.index("short"),
            reply_surface + len(SURFACE_NAMES)]] = 0.0
    if cue_free:
        out[:, base:reply_surface] = 0.0
    return out

