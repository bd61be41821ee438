"""Do placeholders keep people apart? Deal-level cases: each person gets their own placeholder, the rep's side
([销售A]/[Rep A]) is told from the customer's ([客户A]/[Person A]), and a company's short name (云帆, Globex)
gets the company's placeholder, not a person's.

Each case in ``data/pseudonyms.jsonl`` is a short deal (zh or en, hand-written) with expectations: ``role`` of a
surface (rep / customer / company), two surfaces that must share a placeholder (``same``) or must not
(``distinct``). Scores are the share of expectations met, overall and per language.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from knowledge.anonymize import Anonymizer
from knowledge.records import DealRecord

DATA = Path(__file__).parent / "data" / "pseudonyms.jsonl"
_PLACEHOLDER = re.compile(r"\[([^\]]+?)\s?([A-Z]{1,3})\]")
_ROLE_OF_WORD = {"销售": "rep", "Rep": "rep", "客户": "customer", "Person": "customer", "公司": "company",
                 "Company": "company"}


class Case(BaseModel):
    id: str
    lang: str
    turns: list[dict]
    expect: list[dict]


def load_cases(path: Path = DATA) -> list[Case]:
    return [Case.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def placeholders(anonymizer: Anonymizer, case: Case) -> dict[str, str]:
    """surface → the placeholder it became (its first occurrence in the deal), e.g. 小王 → [销售A]."""
    record = DealRecord(deal_id=case.id, lang=case.lang, industry="saas", turns=case.turns)
    _, masked = anonymizer.mask_turns(record)
    found: dict[str, str] = {}
    for result in masked:
        for entity in result.entities:
            m = _PLACEHOLDER.search(entity.replacement)
            if m:
                found.setdefault(entity.text.strip(), m.group(0))
    return found


def _role(placeholder: str | None) -> str | None:
    m = _PLACEHOLDER.search(placeholder or "")
    return _ROLE_OF_WORD.get(m.group(1).strip()) if m else None


def check(case: Case, found: dict[str, str]) -> list[str]:
    """The expectations this case misses, one line each (empty when all are met)."""
    misses = []
    for exp in case.expect:
        if "role" in exp:
            got = _role(found.get(exp["surface"]))
            if got != exp["role"]:
                misses.append(f"{case.id}: {exp['surface']!r} should be {exp['role']}, got {got or 'no placeholder'}")
        elif "same" in exp or "distinct" in exp:
            a, b = exp.get("same") or exp.get("distinct")
            pa, pb = found.get(a), found.get(b)
            same = pa is not None and pa == pb
            if ("same" in exp) != same or pa is None or pb is None:
                want = "share a placeholder" if "same" in exp else "get different placeholders"
                misses.append(f"{case.id}: {a!r} ({pa}) and {b!r} ({pb}) should {want}")
    return misses


def run_pseudonym_eval(anonymizer: Anonymizer | None = None, cases: list[Case] | None = None) -> dict:
    """Share of expectations met, overall and per language, with every miss listed."""
    anonymizer = anonymizer or Anonymizer(mask_amounts=True)
    cases = cases if cases is not None else load_cases()
    totals: dict[str, list[int]] = {}
    misses: list[str] = []
    for case in cases:
        missed = check(case, placeholders(anonymizer, case))
        misses += missed
        for key in ("all", case.lang):
            met, total = totals.setdefault(key, [0, 0])
            totals[key] = [met + len(case.expect) - len(missed), total + len(case.expect)]
    return {"cases": len(cases), "accuracy": {k: round(m / t, 4) for k, (m, t) in totals.items() if t},
            "expectations": totals.get("all", [0, 0])[1], "errors": misses}
