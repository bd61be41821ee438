"""The Anonymizer: run every detector, keep the best non-overlapping spans, replace them with pseudonyms."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

from knowledge.anonymize import chinese, english
from knowledge.anonymize.models import LABELS, LETTERED, Entity, MaskResult, Span
from knowledge.anonymize.patterns import REGEX_DETECTORS
from knowledge.anonymize.scope import PseudonymScope

if TYPE_CHECKING:
    from knowledge.records import DealRecord

# Free-text deal fields that may carry names or contacts; structured ids and enums are left alone.
DEAL_TEXT_FIELDS = ("core_need", "lead_source", "customer_title", "company_size")
DEAL_LIST_FIELDS = ("products", "decision_chain")


def resolve(spans: list[Span]) -> list[Span]:
    """Keep non-overlapping spans: placeholders first, then longer spans, then higher priority."""
    chosen: list[Span] = []
    taken: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda s: (s.kind != "placeholder", -s.length, -s.priority, s.start)):
        if span.length <= 0 or any(a < span.end and span.start < b for a, b in taken):
            continue
        taken.append((span.start, span.end))
        chosen.append(span)
    return sorted((s for s in chosen if s.kind != "placeholder"), key=lambda s: s.start)


class Anonymizer:
    """Masks PII in Chinese and English text with pseudonyms that stay consistent within a scope.

    Honorifics and titles stay outside the pseudonym so the dialogue still reads naturally:
    「张总」 -> 「[客户A]总」, "Mr. Smith" -> "Mr. [Person A]". `tagger` replaces the LAC model
    (tests pass a fake); with `use_ner=False` Chinese names rely on honorific rules only.
    """

    def __init__(self, mask_amounts: bool = False, use_ner: bool = True, *, tagger: chinese.Tagger | None = None):
        self.mask_amounts = mask_amounts
        self.use_ner = use_ner
        self._tagger = tagger
        self._regex = [fn for name, fn in REGEX_DETECTORS.items() if mask_amounts or name != "amount"]

    @property
    def tagger(self) -> chinese.Tagger | None:
        if not self.use_ner:
            return None
        if self._tagger is None:
            self._tagger = chinese.lac_tagger()
        return self._tagger

    def detect(self, text: str) -> list[Span]:
        """Every candidate span from every detector, overlaps resolved."""
        spans: list[Span] = []
        for find in self._regex:
            spans += find(text)
        spans += english.find_persons(text) + english.find_companies(text) + english.find_addresses(text)
        if chinese.CJK.search(text):
            spans += chinese.find_zh(text, self.tagger)
        return resolve(spans)

    def _replacement(self, span: Span, surface: str, scope: PseudonymScope, lang: str) -> str:
        if span.kind in LETTERED:
            key = span.key or surface
            is_zh = bool(chinese.CJK.search(key))
            if span.kind == "person":
                parts = None if span.alias else (chinese.person_parts(key) if is_zh else english.person_parts(key))
                name = scope.pseudonym("person", key, lang, alias=span.alias, parts=parts)
            else:
                name = scope.pseudonym("company", key.lower(), lang)
            return f"{span.prefix}{name}{span.suffix}"
        return LABELS[span.kind]["zh" if lang == "zh" else "en"]

    def mask(self, text: str, scope: PseudonymScope | None = None, lang: str | None = None) -> MaskResult:
        """Mask one text; pass the same `scope` for every text of one deal to keep pseudonyms stable."""
        scope = scope if scope is not None else PseudonymScope()
        lang = lang or ("zh" if chinese.CJK.search(text) else "en")
        out: list[str] = []
        entities: list[Entity] = []
        pos = 0
        for span in self.detect(text):
            surface = text[span.start:span.end]
            if surface.strip().lower() in scope.keep:
                continue
            replacement = self._replacement(span, surface, scope, lang)
            out.append(text[pos:span.start])
            out.append(replacement)
            entities.append(Entity(kind=span.kind, text=surface, start=span.start, end=span.end,
                                   replacement=replacement))
            pos = span.end
        out.append(text[pos:])
        return MaskResult(text="".join(out), entities=entities)

    def anonymize_deal(self, record: DealRecord) -> DealRecord:
        """A new record with every turn and free-text field masked under one scope for the deal.

        Competitor names are kept (coaching needs them; they are not personal data). With
        `mask_amounts` the deal amount is rounded to two significant figures.
        """
        scope = PseudonymScope(keep=record.competitors)
        lang = record.lang

        def m(value: str) -> str:
            return self.mask(value, scope, lang).text

        update: dict = {"turns": [t.model_copy(update={"text": m(t.text)}) for t in record.turns]}
        for name in DEAL_LIST_FIELDS:
            update[name] = [m(v) for v in getattr(record, name)]
        for name in DEAL_TEXT_FIELDS:
            value = getattr(record, name)
            update[name] = m(value) if value else value
        if self.mask_amounts and record.amount:
            digits = 2 - int(math.floor(math.log10(abs(record.amount)))) - 1
            update["amount"] = float(round(record.amount, digits))
        return record.model_copy(update=update, deep=True)


@lru_cache(maxsize=4)
def get_anonymizer(mask_amounts: bool = False) -> Anonymizer:
    """The shared Anonymizer (the NER model loads once, on first Chinese text)."""
    return Anonymizer(mask_amounts=mask_amounts)
