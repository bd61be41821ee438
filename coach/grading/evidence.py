"""Evidence for a grade the model made: the phrase that carried each step (a playbook cue phrase when one is
in the reply, else the sentence the step lives in) and the nearest labelled replies with that step, in the
trainee's language. Cue phrases explain; they never decide.
"""

from __future__ import annotations

import re

from coach.grading.models import Evidence
from coach.grading.rules import match_anti_pattern, match_step
from knowledge.understanding.features import is_question, sentences

_TOKENS = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9']+")


def _overlap(a: str, b: str) -> float:
    ta, tb = set(_TOKENS.findall(a.lower())), set(_TOKENS.findall(b.lower()))
    return len(ta & tb) / (len(ta | tb) or 1)


def _sentence_for(step: str, text: str, examples: list[str]) -> str:
    parts = sentences(text) or [text]
    if step == "clarify":
        questions = [s for s in parts if is_question(s)]
        if questions:
            return questions[0]
    if step == "advance":
        return parts[-1]
    if examples:
        return max(parts, key=lambda s: max(_overlap(s, e) for e in examples))
    return parts[0]


def step_evidence(model, reading, steps: dict[str, bool], guides, text: str, lang: str, source: str,
                  examples: int) -> list[Evidence]:
    out = []
    by_id = {g.id: g for g in guides}
    for step, done in steps.items():
        if not done:
            continue
        near = [e.text for e in model.nearest_replies(reading, examples, label=step)] if examples else []
        guide = by_id.get(step)
        phrase = match_step(guide, text, lang) if guide else None
        out.append(Evidence(step=step, phrase=(phrase or _sentence_for(step, text, near))[:80],
                            source=source if phrase else "model", probability=reading.steps[step], examples=near))
    return out


def anti_pattern_evidence(reading, anti: list[str], patterns, text: str, lang: str, source: str) -> list[Evidence]:
    by_id = {p.id: p for p in patterns}
    out = []
    for name in anti:
        pattern = by_id.get(name)
        phrase = match_anti_pattern(pattern, text, lang) if pattern is not None and pattern.cues.get(lang) else None
        out.append(Evidence(step=name, phrase=(phrase or text.strip())[:60] or "—",
                            source=source if phrase else "model",
                            probability=reading.anti_patterns.get(name)))
    return out
