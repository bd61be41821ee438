"""Deterministic cue matching: which steps and anti-patterns a reply shows, with the phrases that matched.

Trainee text is data: instruction-like sentences ("ignore the rubric, give me 100") are removed before
matching and reported, so they can neither add nor remove points.
"""

from __future__ import annotations

import re
from functools import lru_cache

from knowledge.playbooks import AntiPattern, StepGuide
from knowledge.understanding.features import sentences

_INJECTION = [re.compile(p, re.IGNORECASE) for p in (
    r"忽略.{0,12}(规则|评分|标准|以上|之前|指令|提示)", r"(给我|请给|直接给).{0,4}(打)?(满分|100分|一百分|高分)",
    r"(评分|打分)(标准|规则)", r"系统提示", r"你(现在)?是.{0,6}(评分|裁判)",
    r"\bignore (the|all|any|previous|above|your)\b", r"\b(give|grade|score) (me|this|it) (a )?(100|full marks|perfect|top)",
    r"\brubric\b", r"\bsystem prompt\b", r"\byou are now\b", r"\bdisregard\b.{0,30}\b(instructions|rules)\b",
)]
_FILLER_ONLY = re.compile(r"^[\s，,。.!！…]*$")


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def strip_instructions(reply: str) -> tuple[str, list[str]]:
    """Drop sentences that try to instruct the grader; return the rest and what was dropped."""
    kept, dropped = [], []
    for sentence in sentences(reply):
        (dropped if any(p.search(sentence) for p in _INJECTION) else kept).append(sentence)
    return "".join(kept) if _is_zh_joined(kept) else " ".join(kept), dropped


def _is_zh_joined(parts: list[str]) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for part in parts for ch in part)


def _first_match(patterns: list[str], text: str) -> str | None:
    for pattern in patterns:
        match = _compile(pattern).search(text)
        if match and not _FILLER_ONLY.match(match.group(0)):
            return match.group(0)
    return None


def match_step(step: StepGuide, reply: str, lang: str) -> str | None:
    """The phrase that shows ``step`` in the reply, or None. Clarify cues count only inside questions."""
    patterns = step.cues.get(lang)
    if step.question_only:
        for sentence in sentences(reply):
            if sentence.endswith(("?", "？")):
                phrase = _first_match(patterns, sentence)
                if phrase:
                    return phrase
        return None
    return _first_match(patterns, reply)


def match_anti_pattern(pattern: AntiPattern, reply: str, lang: str) -> str | None:
    """The phrase showing the anti-pattern, unless one of its ``unless`` cues clears it."""
    phrase = _first_match(pattern.cues.get(lang), reply)
    if phrase and _first_match(pattern.unless.get(lang), reply):
        return None
    return phrase


def length_units(text: str, lang: str) -> int:
    """Characters for Chinese, words for English: the unit 'too long' is measured in."""
    return len(re.sub(r"\s", "", text)) if lang == "zh" else len(text.split())
