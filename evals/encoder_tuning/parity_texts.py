"""Texts used to check the Python tokenizer and the torch encoder against the C engine.

The team's training lines (zh + en) plus hand-made edge cases the training lines lack:
emoji, digits, odd whitespace, full-width forms, control characters, very long lines.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["training_lines", "edge_cases", "parity_texts"]

_DATA = Path(__file__).resolve().parent.parent / "understanding" / "data"
_FIELDS = ("text", "customer", "reply")


def training_lines() -> list[str]:
    """Every distinct text/customer/reply string in evals/understanding/data/*.jsonl, file order."""
    seen: dict[str, None] = {}
    for path in sorted(_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            for f in _FIELDS:
                v = row.get(f)
                if isinstance(v, str) and v:
                    seen.setdefault(v)
    return list(seen)


def edge_cases() -> list[str]:
    """Inputs that stress normalisation, unknown pieces and the long-text windows."""
    base = [
        "",
        " ",
        "   leading and trailing spaces   ",
        "tabs\tand\nnewlines\r\nmixed  double  spaces",
        "价格太贵了😅😅，能不能便宜点？🙏",
        "Our budget is $12,500.00 for Q3 — 20% off?",
        "ＦＵＬＬＷＩＤＴＨ　全角空格　１２３４５",
        "e\u0301 caf\u00e9 na\u00efve \u00c5ngstr\u00f6m",
        "control\x01\x02chars\x7f and zero\u200bwidth",
        "<s> literal specials </s> <pad> <unk>",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters and 𠀀𠀁 CJK ext-B",
        "ㄅㄆㄇ 注音 and ｶﾀｶﾅ half-width",
        "1234567890" * 7,
        "我们下周三下午3点在上海浦东见，电话138-0013-8000。",
        "Ok.",
        "嗯",
        "!!!???...,,,",
        "🤝🏻👍🏽💰📈🚀",
        "混合 English 和 中文 in one line, 价格 is the issue.",
    ]
    long_en = " ".join(["The procurement team wants a three-year price lock and quarterly reviews."] * 60)
    long_zh = "我们公司的采购流程比较长，需要法务、财务和IT三个部门一起审核，" * 40
    return base + [long_en, long_zh, long_en + " " + long_zh]


def parity_texts(limit: int | None = None) -> list[str]:
    """Edge cases first, then training lines interleaved zh/en so any prefix is mixed."""
    lines = training_lines()
    zh = [t for t in lines if any("\u4e00" <= c <= "\u9fff" for c in t)]
    zh_set = set(zh)
    en = [t for t in lines if t not in zh_set]
    mixed: list[str] = []
    for i in range(max(len(zh), len(en))):
        mixed += [x[i] for x in (zh, en) if i < len(x)]
    out = edge_cases() + mixed
    return out[:limit] if limit else out
