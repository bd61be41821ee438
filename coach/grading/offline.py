"""The offline grader: playbook cues (rules) for steps and anti-patterns, embedding-based objection detection.

Deterministic: no sampling, no clock, no network; the same input always gets the same Grade.
"""

from __future__ import annotations

from coach.grading import feedback as fb
from coach.grading.base import Grader, register_grader
from coach.grading.models import DEFAULT_WEIGHTS, Evidence, Grade, GradeContext
from coach.grading.rules import (
    detect_steps,
    is_question,
    length_units,
    match_anti_pattern,
    sentences,
    strip_instructions,
)
from knowledge.detect import detect_lang
from knowledge.playbooks import load_playbooks, load_shared
from knowledge.taxonomy import NO_OBJECTION, STEPS

SATURATION = 0.8  # reaching 80% of the step weight already earns full marks: nobody needs all six steps
CURVE = 0.6  # concave: the first steps matter most (one good step is worth more than a sixth of the marks)
PENALTY = {"discount_without_tradeoff": 30, "disparage_competitor": 35, "over_promise": 30, "monologue": 15}
CAP = {"empty_agreement": 15, "ignore_objection": 15}
MONOLOGUE_UNITS = {"zh": 150, "en": 70}
SUBSTANTIVE = ("clarify", "evidence", "reframe", "validate", "advance")


@register_grader("offline")
class OfflineGrader(Grader):
    name = "offline"

    def grade(self, customer: str, reply: str, objection: str | None = None, lang: str | None = None,
              weights: dict[str, float] | None = None, context: GradeContext | None = None) -> Grade:
        context = context or GradeContext()
        lang = lang or detect_lang(reply or customer)
        if objection is None:
            objection = _detector(context).detect(customer).objection
        playbooks = load_playbooks(context.playbook_dir)
        playbook = playbooks.get(objection)
        shared = load_shared()
        step_guides = playbook.steps if playbook else shared.steps
        patterns = playbook.anti_patterns if playbook else shared.anti_patterns
        source = f"playbook:{objection}" if playbook else "playbook:_shared"
        weights = {s: float(w) for s, w in (weights or DEFAULT_WEIGHTS).items() if s in STEPS}

        text, ignored = strip_instructions(reply)
        found, evidence = detect_steps(step_guides, text, lang, source)
        steps = {s: found.get(s, False) for s in STEPS}

        anti: list[str] = []
        anti_evidence: list[Evidence] = []
        for pattern in patterns:
            if pattern.id in ("empty_agreement", "ignore_objection", "monologue"):
                continue
            phrase = match_anti_pattern(pattern, text, lang)
            if phrase:
                anti.append(pattern.id)
                anti_evidence.append(Evidence(step=pattern.id, phrase=phrase, source=source))
        substantive = any(steps[s] for s in SUBSTANTIVE)
        empty = not substantive and bool(text.strip()) and (
            steps["acknowledge"] or _agrees(patterns, text, lang))
        if empty:
            anti.insert(0, "empty_agreement")
            anti_evidence.insert(0, Evidence(step="empty_agreement", phrase=text.strip()[:40],
                                             source="rule:agreement with no concrete move"))
        elif not any(steps[s] for s in ("acknowledge", "clarify", "evidence", "reframe", "validate")):
            anti.append("ignore_objection")
            anti_evidence.append(Evidence(step="ignore_objection", phrase=text.strip()[:40],
                                          source="rule:no step addresses the objection"))
        if length_units(text, lang) > MONOLOGUE_UNITS.get(lang, 70) and not any(map(is_question, sentences(text))):
            anti.append("monologue")
            anti_evidence.append(Evidence(step="monologue", phrase=f"{length_units(text, lang)} "
                                          + ("字，无提问" if lang == "zh" else "words, no question"),
                                          source="rule:long reply without a question"))

        total = sum(weights.values()) or 1.0
        earned = sum(w for s, w in weights.items() if steps.get(s))
        score = 100.0 * min(1.0, earned / (total * SATURATION)) ** CURVE
        for pattern in anti:
            score -= PENALTY.get(pattern, 0)
            if pattern in CAP:
                score = min(score, CAP[pattern])
        score_int = int(round(max(0.0, min(100.0, score))))

        advice = {p.id: p.advice.get(lang) for p in patterns if p.advice}
        seed = customer.strip()
        lookup = context.won_line_lookup
        return Grade(
            objection=objection, lang=lang, score=score_int, steps=steps, evidence=evidence,
            anti_patterns=anti, anti_pattern_evidence=anti_evidence, weights=weights,
            feedback=fb.feedback_text(playbook, steps, anti, lang, advice, ignored),
            suggestion=fb.suggestion(playbook, steps, lang, seed, context),
            best_won_line=lookup(customer, objection) if lookup and objection != NO_OBJECTION else None,
            empty_agreement=empty,
            nav_options=fb.nav_options(playbook, lang, seed, context) if empty else [],
            ignored_instructions=ignored, grader=self.name,
        )


def _agrees(patterns, text: str, lang: str) -> bool:
    guide = next((p for p in patterns if p.id == "empty_agreement"), None)
    return bool(guide and match_anti_pattern(guide, text, lang))


def _detector(context: GradeContext):
    if context.detector is None:
        from knowledge.detect import get_detector

        context.detector = get_detector()
    return context.detector
