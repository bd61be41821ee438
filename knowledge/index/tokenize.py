"""Tokens for BM25: jieba words for Chinese runs, lower-cased words for everything else, stopwords out."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+(?:'[A-Za-z]+)?")

STOPWORDS = frozenset(
    "的 了 是 我 你 您 我们 你们 他 她 它 这 那 就 都 也 还 在 有 和 吗 呢 吧 啊 呀 嗯 哦 个 一个 一下 这个 那个 "
    "a an the is are was were be been am i you we they he she it my our your this that these those to of in on "
    "for and or but so with at by as do does did have has had will would can could just me us them there here "
    "what which who not no yes ok okay um uh".split()
)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Split mixed Chinese/English text into BM25 tokens (jieba search-mode words, lower-cased words)."""
    tokens: list[str] = []
    for run in _RUNS.findall(text):
        if run[0].isascii():
            tokens.append(run.lower())
        else:
            tokens.extend(w for w in _jieba().lcut_for_search(run) if w.strip())
    return [t for t in tokens if t not in STOPWORDS]
