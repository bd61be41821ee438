"""The trainer's review of anonymization before an import: every find (not just the first turns), counts
per kind, and two corrections that really change what is stored: un-mask a false positive (a product
name tagged as a person) and mask a term the detectors missed.

``ReviewedAnonymizer`` wraps the project's anonymizer so the preview and the import run the very same
masking; nothing here decides what personal data is, it only applies the trainer's two lists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.anonymize.anonymizer import DEAL_LIST_FIELDS, DEAL_TEXT_FIELDS

# Stands in for a trainer's term while the detectors run: it matches their placeholder pattern, so no
# detector splits or re-masks it, and it is swapped for the readable label afterwards.
SENTINEL = "[COACH_TRAINER_TERM]"
TERM_LABEL = {"zh": "[已屏蔽]", "en": "[REDACTED]"}
PAGE_SIZE = 20


@dataclass(frozen=True)
class Choices:
    """The trainer's corrections: surfaces never to mask, and extra terms always to mask."""

    keep: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    @classmethod
    def parse(cls, keep: list[str] | None, extra: str | None) -> Choices:
        words = [w.strip() for w in (extra or "").replace("，", ",").replace("\n", ",").split(",")]
        # longest first, so "王秀英" is masked whole before a shorter term inside it is looked for
        extra_terms = tuple(sorted({w for w in words if len(w) >= 2}, key=lambda w: (-len(w), w)))
        return cls(keep=tuple(sorted({k.strip() for k in keep or [] if k and k.strip()})), extra=extra_terms)


@dataclass
class ReviewedAnonymizer:
    """The project's anonymizer with the trainer's choices applied; the import uses ``anonymize_deal``."""

    base: Any
    choices: Choices = field(default_factory=Choices)

    def _pre(self, text: str) -> tuple[str, list[str]]:
        found = []
        for term in self.choices.extra:
            count = text.count(term)
            if count:
                found += [term] * count
                text = text.replace(term, SENTINEL)
        return text, found

    def mask(self, text: str, scope, lang: str) -> tuple[str, list[tuple[str, str, str]]]:
        """(masked text, [(kind, original, replacement)]) for one text under the deal's scope."""
        pre, added = self._pre(text)
        result = self.base.mask(pre, scope, lang)
        label = TERM_LABEL["zh" if lang == "zh" else "en"]
        finds = [(e.kind, e.text, e.replacement) for e in result.entities]
        return result.text.replace(SENTINEL, label), finds + [("term", t, label) for t in added]

    def anonymize_deal(self, record):
        """Mask a deal as the project's anonymizer does, keeping ``keep`` and masking ``extra`` too."""
        label = TERM_LABEL["zh" if record.lang == "zh" else "en"]
        update: dict[str, Any] = {"turns": [t.model_copy(update={"text": self._pre(t.text)[0]}) for t in record.turns],
                                  "competitors": [*record.competitors, *self.choices.keep]}
        for name in DEAL_TEXT_FIELDS:
            value = getattr(record, name)
            update[name] = self._pre(value)[0] if value else value
        for name in DEAL_LIST_FIELDS:
            update[name] = [self._pre(v)[0] for v in getattr(record, name)]
        clean = self.base.anonymize_deal(record.model_copy(update=update, deep=True))

        def post(value):
            return value.replace(SENTINEL, label) if isinstance(value, str) else value

        done: dict[str, Any] = {"turns": [t.model_copy(update={"text": post(t.text)}) for t in clean.turns],
                                "competitors": list(record.competitors)}  # the keep list is not a competitor
        for name in DEAL_TEXT_FIELDS:
            done[name] = post(getattr(clean, name))
        for name in DEAL_LIST_FIELDS:
            done[name] = [post(v) for v in getattr(clean, name)]
        return clean.model_copy(update=done, deep=True)


def scan(path: Path, fmt: str | None = None, options: dict | None = None, choices: Choices | None = None,
         anonymizer=None, sample: int = 5) -> dict[str, Any]:
    """Read the whole file and mask it as the import will: every turn with a find, every find, counts per
    kind, what the trainer kept un-masked, a few mapped turns as a sample, and the file's bad rows."""
    from knowledge.anonymize import PseudonymScope, get_anonymizer
    from knowledge.importers import ImportIssue, iter_file

    base = anonymizer or get_anonymizer()
    choices = choices or Choices()
    masker = ReviewedAnonymizer(base, choices)
    keep = {k.lower() for k in choices.keep}
    turns: list[dict[str, Any]] = []
    finds: list[dict[str, Any]] = []
    kept: Counter = Counter()
    samples: list[dict[str, Any]] = []
    records, bad = 0, []
    for item in iter_file(path, fmt, options):
        if isinstance(item, ImportIssue):
            bad.append(str(item))
            continue
        records += 1
        record = item[1]
        scope = PseudonymScope(keep=[*record.competitors, *choices.keep])
        for number, turn in enumerate(record.turns, 1):
            after, found = masker.mask(turn.text, scope, record.lang)
            kept_here: list[str] = []
            if keep and any(k in turn.text.lower() for k in keep):  # what the trainer un-masked, for the list
                raw = base.mask(turn.text, PseudonymScope(keep=record.competitors), record.lang)
                kept_here = [e.text for e in raw.entities if e.text.strip().lower() in keep]
                kept.update(kept_here)
            if len(samples) < sample:
                samples.append({"deal": records, "speaker": turn.speaker, "ts": turn.ts, "text": after})
            if found or kept_here:
                turns.append({"deal": records, "turn": number, "speaker": turn.speaker, "before": turn.text,
                              "after": after, "kept": kept_here})
                finds += [{"deal": records, "turn": number, "kind": k, "text": t, "replacement": r} for k, t, r in found]
    counts = Counter(f["kind"] for f in finds)
    return {"name": path.name, "format": fmt or "", "records": records, "bad_rows": bad,
            "turns": [(t["speaker"], t["before"], t["after"]) for t in turns], "turn_rows": turns,
            "finds": finds, "counts": dict(counts.most_common()), "kept": dict(kept),
            "entities": list(dict.fromkeys((f["kind"], f["text"], f["replacement"]) for f in finds)),
            "samples": samples, "choices": choices}


def surfaces(preview: dict[str, Any]) -> list[str]:
    """Distinct found surfaces a trainer may un-mask (most frequent first), plus those already kept."""
    seen = Counter(f["text"] for f in preview["finds"] if f["kind"] != "term")
    return [s for s, _ in seen.most_common()] + [k for k in preview.get("kept", {}) if k not in seen]


def pages(preview: dict[str, Any], size: int = PAGE_SIZE) -> int:
    return max(1, -(-len(preview["turn_rows"]) // size))
