"""Recall and precision of the Anonymizer per PII kind on the planted corpus, per split."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from knowledge.anonymize import KINDS, Anonymizer

DATA = Path(__file__).parent / "data"
# heldout_hard: hand-written, never tuned on; contact_ids: hand-written QQ, passport, Hong Kong/Taiwan ID, plate and
# extension cases (issue 16), written with the recognisers, so a regression check rather than a held-out figure
SPLITS = ("dev", "heldout", "heldout_hard", "contact_ids")


class GoldSpan(BaseModel):
    kind: str
    start: int
    end: int
    text: str


class Line(BaseModel):
    id: str
    lang: str
    text: str
    spans: list[GoldSpan]


def load_split(split: str) -> list[Line]:
    """Load and check one split; a bad line names the file and line number."""
    path = DATA / f"{split}.jsonl"
    lines = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = Line.model_validate_json(raw)
        except ValueError as exc:
            raise ValueError(f"{path} line {n}: {exc}") from exc
        for span in line.spans:
            if line.text[span.start:span.end] != span.text or span.kind not in KINDS:
                raise ValueError(f"{path} line {n}: span {span.text!r} ({span.kind}) does not match the text")
        lines.append(line)
    return lines


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def score(lines: list[Line], anonymizer: Anonymizer) -> dict:
    """Span-level scores: a gold span is found when a predicted span of the same kind overlaps it."""
    counts = {k: {"gold": 0, "found": 0, "pred": 0, "correct": 0} for k in KINDS}
    masked_any = gold_total = 0
    misses: list[str] = []
    for line in lines:
        pred = anonymizer.mask(line.text, lang=line.lang).entities
        for g in line.spans:
            counts[g.kind]["gold"] += 1
            gold_total += 1
            hit = [p for p in pred if p.start < g.end and g.start < p.end]
            masked_any += bool(hit)
            if any(p.kind == g.kind for p in hit):
                counts[g.kind]["found"] += 1
            else:
                misses.append(f"{line.id} missed {g.kind} {g.text!r}")
        for p in pred:
            counts[p.kind]["pred"] += 1
            if any(g.kind == p.kind and p.start < g.end and g.start < p.end for g in line.spans):
                counts[p.kind]["correct"] += 1
            else:
                misses.append(f"{line.id} spurious {p.kind} {p.text!r}")
    per_kind = {
        k: {"recall": _ratio(c["found"], c["gold"]), "precision": _ratio(c["correct"], c["pred"]), "gold": c["gold"]}
        for k, c in counts.items() if c["gold"] or c["pred"]
    }
    found = sum(c["found"] for c in counts.values())
    pred = sum(c["pred"] for c in counts.values())
    correct = sum(c["correct"] for c in counts.values())
    return {
        "lines": len(lines),
        "overall": {"recall": _ratio(found, gold_total), "precision": _ratio(correct, pred),
                    "masked_any_kind": _ratio(masked_any, gold_total)},
        "per_kind": per_kind,
        "errors": misses[:50],
    }


def run_pii_eval(anonymizer: Anonymizer | None = None, splits: tuple[str, ...] = SPLITS) -> dict:
    """Scores per split (amounts included, so the eval runs with mask_amounts=True)."""
    anonymizer = anonymizer or Anonymizer(mask_amounts=True)
    return {split: score(load_split(split), anonymizer) for split in splits}


def main() -> None:
    from evals.pii.pseudonyms import run_pseudonym_eval

    print(json.dumps(run_pii_eval() | {"pseudonyms": run_pseudonym_eval()}, ensure_ascii=False, indent=2))
