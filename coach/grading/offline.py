"""The offline grader: the understanding layer reads the reply (steps, anti-patterns, relevance, answered
question), the fitted combiner turns that and the rubric weights into 0–100, and the evidence shows the
phrases that carried each step plus the nearest labelled replies.

Deterministic: no sampling, no clock, no network; the same input always gets the same Grade.
"""

from __future__ import annotations

from collections.abc import Sequence

from coach.grading import feedback as fb
from coach.grading.base import Grader, register_grader
from coach.grading.evidence import anti_pattern_evidence, step_evidence
from coach.grading.models import DEFAULT_WEIGHTS, Grade, GradeContext
from coach.grading.rules import strip_instructions
from knowledge.playbooks import load_playbooks, load_shared
from knowledge.taxonomy import NO_OBJECTION, STEPS
from knowledge.understanding.features import detect_lang

EXAMPLES = 2  # nearest labelled replies shown per step


@register_grader("offline")
class OfflineGrader(Grader):
    name = "offline"

    def grade(self, customer: str, reply: str, objection: str | None = None, lang: str | None = None,
              weights: dict[str, float] | None = None, context: GradeContext | None = None) -> Grade:
        return self.grade_many([(customer, reply, objection)], lang, weights, context)[0]

    def grade_many(self, items: Sequence[tuple], lang: str | None = None,
                   weights: dict[str, float] | None = None, context: GradeContext | None = None) -> list[Grade]:
        """Grade many (customer, reply, objection-or-None[, lang-or-None]) items with one embedding batch."""
        context = context or GradeContext()
        langs = [(item[3] if len(item) > 3 else None) or lang for item in items]
        items = [tuple(item[:3]) for item in items]
        model = _model(context)
        stripped = [strip_instructions(reply) for _, reply, _ in items]
        readings = model.read_replies([(c, text) for (c, _, _), (text, _) in zip(items, stripped, strict=True)])
        weights = {s: float(w) for s, w in (weights or DEFAULT_WEIGHTS).items() if s in STEPS}
        scores = model.score(readings, weights)
        playbooks = load_playbooks(context.playbook_dir)
        shared = load_shared()
        grades = []
        for (customer, _reply, given), (text, ignored), reading, score, item_lang in zip(
                items, stripped, readings, scores, langs, strict=True):
            objection = given or reading.objection
            the_lang = item_lang or detect_lang(text or customer)
            playbook = playbooks.get(objection)
            source = f"playbook:{objection}" if playbook else "playbook:_shared"
            guides = playbook.steps if playbook else shared.steps
            patterns = playbook.anti_patterns if playbook else shared.anti_patterns
            if not text.strip():
                score = 0
            steps = {s: reading.steps[s] >= 0.5 and bool(text.strip()) for s in STEPS}
            anti = [a for a in reading.shown() if text.strip()] or ([] if text.strip() else ["ignore_objection"])
            evidence = step_evidence(model, reading, steps, guides, text, the_lang, source, EXAMPLES)
            anti_ev = anti_pattern_evidence(reading, anti, patterns, text, the_lang, source)
            empty = "empty_agreement" in anti
            advice = {p.id: p.advice.get(the_lang) for p in patterns if p.advice}
            seed = customer.strip()
            lookup = context.won_line_lookup
            grades.append(Grade(
                objection=objection, lang=the_lang, score=score, steps=steps, evidence=evidence,
                anti_patterns=anti, anti_pattern_evidence=anti_ev, weights=weights,
                feedback=fb.feedback_text(playbook, steps, anti, the_lang, advice, ignored),
                suggestion=fb.suggestion(playbook, steps, the_lang, seed, context),
                best_won_line=lookup(customer, objection) if lookup and objection != NO_OBJECTION else None,
                empty_agreement=empty,
                nav_options=fb.nav_options(playbook, the_lang, seed, context) if empty else [],
                ignored_instructions=ignored, grader=self.name, relevance=reading.relevance,
                answers_question=reading.answers_question, off_topic=reading.off_topic,
                asks_question=reading.asks_question if text.strip() else 0.0,
                unsure=reading.unsure and bool(text.strip()),
            ))
        return grades


def _model(context: GradeContext):
    if context.understanding is None:
        detector = context.detector
        model = getattr(detector, "model", None)
        if model is None:
            from knowledge.understanding import get_understanding

            model = get_understanding()
        context.understanding = model
    return context.understanding
