"""Content linter: render every scenario with the personas its seeds produce and find text a trainee must never
see: unfilled template slots (``{industry}``), raw ids (``fmcg客户``, "A saas client") and industries, products
or roles that contradict the persona (a corner-shop owner talking about a teacher-training course pack).

This module holds the rules and the driver. What gets rendered (hints, customer lines) lives in the packages
above (``coach.content_lint``), passed in as ``render`` and ``check``, so scenarios never import coach.
Vocabulary is data: ``scenarios/lint_vocab.yaml`` (industry → words); roles and products come from the
customer-consistency check passed in as ``check``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from knowledge.taxonomy import (
    ACTS,
    ANTI_PATTERNS,
    DECISION_SIGNALS,
    INDUSTRIES,
    OBJECTION_TYPES,
    SEGMENTS,
    STEPS,
)
from scenarios.schema import GOALS, Scenario

VOCAB_FILE = "lint_vocab.yaml"
_SLOT = re.compile(r"\{\{?\s*[A-Za-z_][\w.]*\s*\}?\}|\$\{\w+\}|%\(\w+\)s")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Ids that read as plain English words (need, price, stall, ...) count as raw only inside Chinese text; ids with an
# underscore, or that are no English word (fmcg, saas, smb, ka), count everywhere.
_NOT_WORDS = {"fmcg", "saas", "smb", "ka"}
_IDS = sorted({*INDUSTRIES, *SEGMENTS, *OBJECTION_TYPES, *STEPS, *ANTI_PATTERNS, *DECISION_SIGNALS, *ACTS, *GOALS},
              key=len, reverse=True)
_ANY_ID = re.compile(rf"(?<![A-Za-z_])(?:{'|'.join(map(re.escape, _IDS))})(?![A-Za-z_])")


class _Vocab(BaseModel):
    model_config = ConfigDict(extra="forbid")
    industries: dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class Finding:
    """One problem: which scenario and seed, where the text came from, the text, and what is wrong."""

    scenario: str
    seed: int | None
    where: str
    text: str
    problem: str

    def __str__(self) -> str:
        seed = f" seed {self.seed}" if self.seed is not None else ""
        return f"{self.scenario}{seed} [{self.where}]: {self.problem}: {self.text[:160]}"


@dataclass(frozen=True)
class Rendered:
    """A text shown to someone, with where it came from; ``kind`` says which checks apply ("customer" lines
    get the full persona check, "hint" and "profile" texts the industry and product part)."""

    where: str
    text: str
    kind: str = "customer"


Render = Callable[[Scenario, object], Iterable[Rendered]]  # (scenario, persona) -> texts
Check = Callable[[str, object, str], list[str]]  # (text, persona, kind) -> problems


@lru_cache(maxsize=1)
def industry_words() -> dict[str, list[str]]:
    """Industry id → its distinctive words in both languages, from ``scenarios/lint_vocab.yaml``."""
    path = resources.files("scenarios") / VOCAB_FILE
    try:
        vocab = _Vocab.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"scenarios/{VOCAB_FILE}: {exc}; fix the file") from None
    unknown = sorted(set(vocab.industries) - set(INDUSTRIES))
    if unknown:
        raise ValueError(f"scenarios/{VOCAB_FILE}: unknown industry {unknown[0]!r}; use one of {', '.join(INDUSTRIES)}")
    return {name: [w for words in by_lang.values() for w in words] for name, by_lang in vocab.industries.items()}


@lru_cache(maxsize=1)
def _industry_patterns() -> dict[str, re.Pattern]:
    """One pattern per industry: Chinese words anywhere, English ones as whole words, longest first."""
    out = {}
    for industry, words in industry_words().items():
        parts = [re.escape(w) if _CJK.search(w) else rf"(?<![A-Za-z-]){re.escape(w)}(?![A-Za-z-])"
                 for w in sorted(words, key=len, reverse=True)]
        out[industry] = re.compile("|".join(parts), re.IGNORECASE)
    return out


def industries_named(text: str) -> dict[str, str]:
    """Industry → the first of its words that ``text`` uses."""
    return {industry: m.group(0) for industry, pattern in _industry_patterns().items() if (m := pattern.search(text))}


def unfilled_slots(text: str) -> list[str]:
    return _SLOT.findall(text)


def raw_ids(text: str) -> list[str]:
    """Internal ids in ``text``: any id inside Chinese text, and underscore or non-word ids (fmcg, saas) anywhere.
    Case matters: 'SaaS' is a label, 'saas' an id."""
    chinese = bool(_CJK.search(text))
    found = []
    if not _ANY_ID.search(text):
        return []
    for ident in _IDS:
        if not (chinese or "_" in ident or ident in _NOT_WORDS):
            continue
        if re.search(rf"(?<![A-Za-z_]){re.escape(ident)}(?![A-Za-z_])", text):
            found.append(ident)
            text = text.replace(ident, " ")
    return found


def text_problems(text: str) -> list[str]:
    """Problems any shown text can have on its own: unfilled slots and raw ids."""
    problems = [f"unfilled slot {slot}" for slot in unfilled_slots(text)]
    problems += [f"raw id '{ident}'" for ident in raw_ids(text)]
    return problems


def industry_problems(text: str, industry: str, own: Iterable[str] = ()) -> list[str]:
    """Words of another industry than the persona's; a word inside the persona's own products, title or company
    (an education customer's 招生管理SaaS) is theirs, not a contradiction."""
    own = [o.lower() for o in own if o]
    return [f"'{word}' belongs to {other}, but the customer is in {industry}"
            for other, word in industries_named(text).items()
            if other != industry and not any(word.lower() in o for o in own)]


def scenario_texts(scenario: Scenario) -> list[Rendered]:
    texts = [("title", scenario.title), ("description", scenario.description), ("opening", scenario.opening),
             ("goal", scenario.goal.text)]
    return [Rendered(where, text, "profile") for where, text in texts if text]


def lint_scenario(scenario: Scenario, seeds: Sequence[int], persona_for: Callable[[Scenario, int], object],
                  render: Render | None = None, check: Check | None = None) -> list[Finding]:
    """Every problem of one scenario over ``seeds``: its own text, then each seed's persona rendered through
    ``render`` and judged by the rules here plus ``check`` (the customer-consistency check)."""
    findings = [Finding(scenario.id, None, r.where, r.text, p)
                for r in scenario_texts(scenario) for p in text_problems(r.text)]
    for seed in seeds:
        persona = persona_for(scenario, seed)
        industry = _industry_of(persona)
        own = _own_words(persona)
        texts = [*scenario_texts(scenario), *(render(scenario, persona) if render else [])]
        seen: set[tuple[str, str]] = set()
        for item in texts:
            if (item.where, item.text) in seen:
                continue
            seen.add((item.where, item.text))
            problems = [] if item.kind == "profile" and item.where in {"title", "description", "opening", "goal"} \
                else text_problems(item.text)
            problems += industry_problems(item.text, industry, own)
            if check is not None:
                problems += check(item.text, persona, item.kind)
            findings += [Finding(scenario.id, seed, item.where, item.text, p) for p in dict.fromkeys(problems)]
    return findings


def lint_scenarios(scenarios: Iterable[Scenario], seeds: Sequence[int], persona_for: Callable[[Scenario, int], object],
                   render: Render | None = None, check: Check | None = None,
                   progress: Callable[[str], None] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for scenario in scenarios:
        if progress:
            progress(scenario.id)
        findings += lint_scenario(scenario, seeds, persona_for, render, check)
    return findings


def _own_words(persona) -> list[str]:
    facts = getattr(persona, "facts", None)
    company = getattr(persona, "company", None)
    return [*(getattr(facts, "products", None) or getattr(persona, "products", None) or []),
            str(getattr(persona, "title", "") or ""), str(getattr(company, "description", "") or "")]


def _industry_of(persona) -> str:
    company = getattr(persona, "company", None)
    return str(getattr(company, "industry", None) or getattr(persona, "industry", "") or "")
