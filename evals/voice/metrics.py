"""Error rates for speech-to-text: character error rate for Chinese, word error rate for English."""

from __future__ import annotations

import re
import unicodedata

from coach.voice.stt import to_simplified


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance over tokens (substitutions, insertions, deletions all cost 1)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


def _strip_punct(text: str) -> str:
    return "".join(" " if unicodedata.category(ch).startswith(("P", "S")) else ch for ch in text)


def zh_chars(text: str) -> list[str]:
    """Chinese compared on characters: simplified, punctuation and spaces removed, Latin lower-cased."""
    return [ch for ch in _strip_punct(to_simplified(text)).lower() if not ch.isspace()]


def en_words(text: str) -> list[str]:
    """English compared on words: lower-cased, '%' read as 'percent', hyphens split, punctuation removed."""
    text = text.lower().replace("%", " percent ").replace("-", " ")
    text = re.sub(r"(?<=\w)'(?=\w)", "", text)  # don't -> dont on both sides
    return _strip_punct(text).split()


TOKENIZERS = {"zh": zh_chars, "en": en_words}


def error_counts(ref: str, hyp: str, lang: str) -> tuple[int, int]:
    """(edits, reference length) so corpus-level rates are sums over clips, not means of rates."""
    tokens = TOKENIZERS[lang]
    r, h = tokens(ref), tokens(hyp)
    return edit_distance(r, h), len(r)


def error_rate(ref: str, hyp: str, lang: str) -> float:
    """CER for zh, WER for en, on one pair."""
    edits, length = error_counts(ref, hyp, lang)
    return edits / max(length, 1)
