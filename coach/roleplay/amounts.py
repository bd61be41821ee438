"""Money amounts in a line, in plain units: 50万, 30万元, 8000块, ¥50k, $50,000, 50k dollars, 1.2 million.

Small models write a budget every way a person would; the guard compares values, not spellings.
"""

from __future__ import annotations

import re

_SCALE = {"万": 1e4, "千": 1e3, "百万": 1e6, "亿": 1e8, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}
_NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
_SCALE_WORD = r"(百万|万|千|亿|k\b|K\b|thousand\b|million\b|m\b|M\b)?"
_CURRENCY_AFTER = r"(元|块|美元|美金|人民币|dollars?\b|bucks\b|USD\b|RMB\b|CNY\b)"
_SIGNED = re.compile(r"([$¥￥])\s*" + _NUMBER + r"\s*" + _SCALE_WORD, re.IGNORECASE)
_SUFFIXED = re.compile(_NUMBER + r"\s*" + _SCALE_WORD + r"\s*" + _CURRENCY_AFTER, re.IGNORECASE)
_SCALED = re.compile(_NUMBER + r"\s*(百万|万|亿|k\b|K\b|thousand\b|million\b)", re.IGNORECASE)


def _value(number: str, scale: str | None) -> float:
    return float(number.replace(",", "")) * _SCALE.get((scale or "").lower(), 1.0)


def amounts(text: str) -> list[float]:
    """Every money-like amount in ``text``, scaled to units (each span counted once)."""
    found, taken = [], []
    for pattern in (_SIGNED, _SUFFIXED, _SCALED):
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            taken.append(match.span())
            groups = [g for g in match.groups()]
            number, scale = (groups[1], groups[2]) if pattern is _SIGNED else (groups[0], groups[1])
            try:
                found.append(_value(number, scale))
            except ValueError:
                continue
    return found


def same_amount(a: float, b: float, tolerance: float = 0.1) -> bool:
    """Within 10%: "about 50万" and "48万" are the same budget; 30万 against 50万 is not."""
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1.0)
