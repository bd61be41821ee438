"""Agreed next steps named by a date or a time (下周二上午可以 / next Tuesday morning works).

The understanding layer decides ``next_step_agreed`` from meaning, but a customer who just accepts a slot
("下周二上午可以") says little besides the slot, and the layer misses it. A date or time is a surface form,
not a sentiment cue, so it is parsed here; whether the line *agrees* is still the layer's reading (sentiment,
objection, negation), never a word list.
"""

from __future__ import annotations

import re
from typing import Any

from knowledge.understanding.features import SURFACE_NAMES, detect_lang, is_question, surface, units

_ZH_NUM = "[0-9０-９一二三四五六七八九十两]"
_ZH_DAY = "(?:周|星期|礼拜)[一二三四五六日天]"
_ZH_PART = "(?:上午|下午|中午|晚上|早上|傍晚|凌晨)"
_ZH_CLOCK = f"{_ZH_NUM}{{1,3}}(?:点|:[0-5][0-9])(?:半|一刻|{_ZH_NUM}{{1,2}}分?)?"
_ZH = (
    f"(?:(?:下下|下个?|这个?|本)?{_ZH_DAY}|(?:大后|后|明|今)天|{_ZH_NUM}{{1,2}}月{_ZH_NUM}{{1,3}}[日号]"
    f"|{_ZH_NUM}{{1,2}}[日号])"
    f"(?:\\s*{_ZH_PART})?(?:\\s*{_ZH_CLOCK})?"
    f"|{_ZH_PART}\\s*{_ZH_CLOCK}|{_ZH_CLOCK}"
)
_EN_DAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_EN_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_EN_PART = r"(?:morning|afternoon|evening|noon|lunchtime|eod)"
_EN_CLOCK = r"(?:at\s+)?\d{1,2}(?::[0-5]\d)?\s*(?:[ap]\.?m\.?)|at\s+\d{1,2}(?::[0-5]\d)?\b|\d{1,2}:[0-5]\d"
_EN = (
    rf"\b(?:(?:next|this|coming)\s+)?(?:{_EN_DAY}|tomorrow|today|tonight)"
    rf"(?:\s+{_EN_PART})?(?:\s*,?\s*(?:{_EN_CLOCK}))?"
    rf"|\b{_EN_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:\s*,?\s*(?:{_EN_CLOCK}))?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_EN_MONTH}"
    rf"|\b(?:{_EN_CLOCK})"
)
WHEN = re.compile(f"{_ZH}|{_EN}", re.IGNORECASE)
_NEGATION = SURFACE_NAMES.index("negation")
MIN_SENTIMENT = -0.1  # a slot said coldly ("周五吧，随便") is not read as agreement
MAX_P_OBJECTION = 0.5
WARM = 0.7  # only a very warm reading outweighs a "no" in the line (没问题 / no problem); 周五不行 must not pass
OWN_DATES = ("procurement_meeting", "timeline_set")
SHORT_ACCEPT = {"zh": 6, "en": 5}  # a reply to the rep's proposed slot counts when it is this short (字 / words)  # signals whose line's date is that event's, not a next step


def find_when(text: str) -> tuple[int, int] | None:
    """The longest date/time expression in ``text`` as (start, end), or None."""
    best = None
    for m in WHEN.finditer(text):
        if m.group(0).strip() and (best is None or m.end() - m.start() > best[1] - best[0]):
            best = (m.start(), m.end())
    if best is None:
        return None
    start, end = best
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1] in " ,，":
        end -= 1
    return start, end


def agrees(text: str, reading: Any) -> bool:
    """The layer reads the line as accepting: not negative, no objection, no "no", not a question."""
    sentiment = _number(getattr(reading, "sentiment", None), 0.0)
    p_objection = _number(getattr(reading, "p_objection", None), 0.0)
    objection = getattr(reading, "objection", "none") or "none"
    said_no = float(surface(text)[_NEGATION]) > 0.0 and sentiment < WARM
    return (sentiment >= MIN_SENTIMENT and p_objection < MAX_P_OBJECTION and objection == "none"
            and not said_no and not is_question(text))


def agreed_slot(text: str, reading: Any, previous_rep: str | None = None) -> tuple[int, int] | None:
    """Where the customer's line agrees to a dated next step: the date/time span in the line, or the whole line
    when it briefly accepts a slot the rep just proposed ("下周二上午方便吗？" → "可以"); None otherwise. A longer
    warm line after the proposal ("好的，这个方案不错") is about the offer, not the slot."""
    if not agrees(text, reading) or set(getattr(reading, "signals", None) or []) & set(OWN_DATES):
        return None
    span = find_when(text)
    if span is not None:
        return span
    if previous_rep and find_when(previous_rep) is not None and is_question(previous_rep) \
            and _number(getattr(reading, "sentiment", None), 0.0) > 0.0 \
            and units(text) <= SHORT_ACCEPT[detect_lang(text)]:
        return 0, len(text)  # "可以" / "Sure, that works" right after "下周二上午方便吗？"
    return None


def _number(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return default if number != number else number
