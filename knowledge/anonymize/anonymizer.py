"""The Anonymizer: run every detector, keep the best non-overlapping spans, replace them with pseudonyms."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from knowledge.anonymize import chinese, english
from knowledge.anonymize.ids import safe_deal_id
from knowledge.anonymize.models import LABELS, LETTERED, Entity, MaskResult, Span
from knowledge.anonymize.patterns import REGEX_DETECTORS
from knowledge.anonymize.roles import CUSTOMER, REP, company_core, role_from_context
from knowledge.anonymize.scope import PseudonymScope

if TYPE_CHECKING:
    from knowledge.records import DealRecord

_CAP_WORD = re.compile(r"(?<![A-Za-z0-9_@.])[A-Z][a-z]+(?![A-Za-z0-9_@])")
_MAKER_AFTER = re.compile(r"的?(?:系统|软件|平台|产品|方案|科技|SaaS|CRM|ERP)")  # 云帆的系统: a maker, not a person
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

    def _replacement(self, span: Span, surface: str, scope: PseudonymScope, lang: str, role: str = CUSTOMER) -> str:
        if span.kind in LETTERED:
            key = span.key or surface
            is_zh = bool(chinese.CJK.search(key))
            if span.kind == "person":
                parts = None if span.alias else (chinese.person_parts(key) if is_zh else english.person_parts(key))
                name = scope.pseudonym("rep" if role == REP else "person", key, lang, alias=span.alias, parts=parts)
            else:
                name = scope.pseudonym("company", company_core(key).lower(), lang)
            return f"{span.prefix}{name}{span.suffix}"
        return LABELS[span.kind]["zh" if lang == "zh" else "en"]

    @staticmethod
    def _as_company(span: Span, surface: str, text: str, scope: PseudonymScope) -> Span:
        """A "person" that is one of the deal's companies (云帆 beside 云帆科技), or names a product's maker."""
        name = surface.strip()
        if span.kind == "person" and not span.prefix and not span.suffix and (
                name in scope.companies or company_core(name) in scope.companies
                or _MAKER_AFTER.match(text, span.end)):
            return Span("company", span.start, span.end, priority=span.priority, key=name)
        return span

    @staticmethod
    def _role(span: Span, surface: str, text: str, speaker: str | None, scope: PseudonymScope) -> str:
        found = role_from_context(text, span.start, span.end, speaker)
        if found:
            scope.roles.setdefault(surface, found)
        return scope.roles.get(surface) or found or CUSTOMER

    def learn(self, text: str, spans: list[Span], scope: PseudonymScope, speaker: str | None = None) -> None:
        """Note the text's companies and who its names belong to, before any text of the deal is masked, so a
        name's first mention already gets the placeholder its later self-introduction implies."""
        for span in spans:
            surface = text[span.start:span.end]
            if surface.strip().lower() in scope.keep:
                continue  # a competitor kept in clear: its short name is not to be masked either
            if span.kind == "company":
                scope.companies.add(company_core(span.key or surface))
            elif span.kind == "person":
                found = role_from_context(text, span.start, span.end, speaker)
                if found:
                    scope.roles.setdefault(surface, found)
                words = (span.key or "").split()
                if len(words) > 1 and not chinese.CJK.search(span.key):
                    scope.name_parts.update({words[0]: "first", words[-1]: "last"})

    @staticmethod
    def _known_mentions(text: str, spans: list[Span], scope: PseudonymScope) -> list[Span]:
        """A first or last name on its own ("Hi Sam.") once the deal has shown the full name ("Sam Wilson"), and a
        company's short name (Globex, 云帆) once it has shown the full one: the detectors alone miss short or
        common names, and such a mention must not stay in clear text or become a different placeholder."""
        if not scope.name_parts and not scope.companies:
            return spans
        taken = [(s.start, s.end) for s in spans]
        extra: list[Span] = []

        def free(start: int, end: int) -> bool:
            return not any(a < end and start < b for a, b in taken)

        for m in _CAP_WORD.finditer(text):
            word = m.group().lower()
            if not free(m.start(), m.end()):
                continue
            if word in scope.companies:
                extra.append(Span("company", m.start(), m.end(), priority=35, key=word))
            elif word in scope.name_parts:
                extra.append(Span("person", m.start(), m.end(), priority=30, key=word,
                                  alias=(scope.name_parts[word], word)))
            taken.append((m.start(), m.end()))
        for core in (c for c in scope.companies if chinese.CJK.search(c) and len(c) >= 2):
            for m in re.finditer(re.escape(core), text):
                if free(m.start(), m.end()):
                    extra.append(Span("company", m.start(), m.end(), priority=35, key=core))
                    taken.append((m.start(), m.end()))
        return sorted(spans + extra, key=lambda s: s.start) if extra else spans

    def mask(self, text: str, scope: PseudonymScope | None = None, lang: str | None = None,
             speaker: str | None = None, spans: list[Span] | None = None) -> MaskResult:
        """Mask one text; pass the same `scope` for every text of one deal to keep pseudonyms stable.

        ``speaker`` ("rep"/"customer") lets names be told apart by side; ``spans`` reuses a detect() result."""
        scope = scope if scope is not None else PseudonymScope()
        lang = lang or ("zh" if chinese.CJK.search(text) else "en")
        spans = self.detect(text) if spans is None else spans
        self.learn(text, spans, scope, speaker)  # idempotent: anonymize_deal has learnt the whole deal already
        spans = self._known_mentions(text, spans, scope)
        out: list[str] = []
        entities: list[Entity] = []
        pos = 0
        for span in spans:
            surface = text[span.start:span.end]
            if surface.strip().lower() in scope.keep:
                continue
            span = self._as_company(span, surface, text, scope)
            role = self._role(span, surface, text, speaker, scope) if span.kind == "person" else CUSTOMER
            replacement = self._replacement(span, surface, scope, lang, role)
            out.append(text[pos:span.start])
            out.append(replacement)
            entities.append(Entity(kind=span.kind, text=surface, start=span.start, end=span.end,
                                   replacement=replacement))
            pos = span.end
        out.append(text[pos:])
        return MaskResult(text="".join(out), entities=entities)

    def mask_turns(self, record: DealRecord) -> tuple[PseudonymScope, list[MaskResult]]:
        """Every turn of a deal masked under one scope: detect once, learn the deal's companies and who each name
        belongs to (rep or customer), then mask with what was learnt. The PII eval scores these results."""
        scope = PseudonymScope(keep=record.competitors)
        turn_spans = [self.detect(t.text) for t in record.turns]
        for turn, spans in zip(record.turns, turn_spans, strict=True):
            self.learn(turn.text, spans, scope, turn.speaker)
        return scope, [self.mask(t.text, scope, record.lang, t.speaker, spans)
                       for t, spans in zip(record.turns, turn_spans, strict=True)]

    def anonymize_deal(self, record: DealRecord) -> DealRecord:
        """A new record with every turn and free-text field masked under one scope for the deal.

        Competitor names are kept (coaching needs them; they are not personal data). With
        `mask_amounts` the deal amount is rounded to two significant figures. A deal id that may hold personal
        data (a phone number, a name) is replaced by a keyed hash (:mod:`knowledge.anonymize.ids`).
        """
        lang = record.lang
        scope, masked = self.mask_turns(record)

        def m(value: str) -> str:
            return self.mask(value, scope, lang).text

        update: dict = {"turns": [t.model_copy(update={"text": r.text}) for t, r in zip(record.turns, masked, strict=True)]}
        update["deal_id"] = safe_deal_id(record.deal_id, self.detect)
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
