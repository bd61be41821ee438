"""Does a customer line contradict its persona? One plain function, ``check_line(line, persona)``, used by the
offline realizer (to drop a candidate), the LLM path, the eval and the scenario-content linter alike.

Checked: roles outside the persona's decision chain, products of another industry, words that presuppose a
company size the persona does not have, a budget figure other than the persona's, a competitor other than
the one in use (or being evaluated). Vocabulary: ``coach/data/persona_lexicon.yaml`` plus the titles,
products and competitors of the bundled deal corpus (``extend_catalogue`` adds a team's ingested deals).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ValidationError

from coach.roleplay.persona_view import PersonaView

_CJK = re.compile(r"[\u4e00-\u9fff]")
_AMOUNT = re.compile(r"(RMB|USD|CNY|[$¥￥])?\s?(\d+(?:[.,]\d+)*)\s*(万|千|k\b|K\b|million|m\b|元|块)?")
_BUDGET_WORD = re.compile(r"预算|批了|批下来|能花|花得起|budget|set aside|can spend|approved", re.IGNORECASE)
_HEADCOUNT = re.compile(r"(\d[\d,]*)\s*(?:多)?\s*(?:个)?(?:人|名员工|号人)|(\d[\d,]*)\s*\+?\s*(?:people|employees|staff)\b",
                        re.IGNORECASE)
_CN_HEADCOUNT = re.compile(r"([一二两三四五六七八九十百千万几]+)\s*(?:多|来)?\s*(?:个)?(?:人|名员工|号人)")
_CN_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "几": 2}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_UNIT = {"万": 1e4, "千": 1e3, "k": 1e3, "K": 1e3, "million": 1e6, "m": 1e6, "元": 1.0, "块": 1.0}


class _Lexicon(BaseModel):
    roles: dict[str, list[str]]
    organisation: dict[str, dict[str, list[str]]]
    headcount: dict[str, tuple[int, int]]


FOUND_CACHE_SIZE = 20_000  # a 100k-deal vocabulary makes one scan ~35 µs; a role-play turn checks ~100 lines


@dataclass
class Catalogue:
    """Vocabulary the check compares against: role titles, products by industry, competitor names."""

    roles: set[str] = field(default_factory=set)
    products: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    competitors: set[str] = field(default_factory=set)
    organisation: dict[str, list[str]] = field(default_factory=dict)
    headcount: dict[str, tuple[int, int]] = field(default_factory=dict)

    _patterns: dict = field(default_factory=dict)
    _found: dict = field(default_factory=dict)  # (vocabulary, text) → terms: candidate lines recur turn after turn

    def add_deals(self, deals: Iterable) -> None:
        for deal in deals:
            self.roles.update(t for t in [*deal.decision_chain, deal.customer_title or ""] if _specific(t))
            self.products[deal.industry].update(p for p in deal.products if len(p) >= 3)
            self.competitors.update(c for c in deal.competitors if c)
        self._patterns.clear()
        self._found.clear()

    def found(self, kind: str, text: str, segment: str = "") -> list[str]:
        """Terms of one vocabulary (roles, products, competitors, organisation:<segment>) that ``text`` names,
        longest first; one compiled alternation per vocabulary keeps a check to a few regex passes."""
        key = f"{kind}:{segment}" if kind == "organisation" else kind
        hit = self._found.get((key, text))
        if hit is not None:
            return list(hit)
        if len(self._found) >= FOUND_CACHE_SIZE:
            self._found.clear()
        terms = self._scan(key, kind, text, segment)
        self._found[(key, text)] = tuple(terms)
        return terms

    def _scan(self, key: str, kind: str, text: str, segment: str) -> list[str]:
        if key not in self._patterns:
            terms = self._terms(kind, segment)
            alternatives = [re.escape(t) if _CJK.search(t) else rf"(?<![A-Za-z]){re.escape(t)}(?![A-Za-z])"
                            for t in sorted(terms, key=len, reverse=True)]
            pattern = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None
            self._patterns[key] = (pattern, {t.lower(): t for t in terms})
        pattern, lowered = self._patterns[key]
        if pattern is None:
            return []
        return [lowered.get(m.group(0).lower(), m.group(0)) for m in pattern.finditer(text)]

    def _terms(self, kind: str, segment: str) -> set[str]:
        if kind == "products":
            return {p for ps in self.products.values() for p in ps}
        if kind == "organisation":
            return set(self.organisation.get(segment, []))
        return self.roles if kind == "roles" else self.competitors


def _specific(title: str) -> bool:
    """A title that names one role (销售总监, IT director), not a generic word such as 老板 or owner."""
    title = title.strip()
    if not title:
        return False
    if re.search(r"[\u4e00-\u9fff]", title):
        return len(title) >= 3  # 财务, 采购, 法务 name departments any firm may mention; size words catch those
    return len(title.split()) >= 2 or title.isupper()


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The shipped lexicon plus the bundled deal corpus; built once per process."""
    from knowledge.sample import load_sample_deals

    path = resources.files("coach.data") / "persona_lexicon.yaml"
    try:
        lexicon = _Lexicon.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid persona lexicon: {exc}") from exc
    cat = Catalogue(headcount=dict(lexicon.headcount))
    cat.roles.update(r for words in lexicon.roles.values() for r in words)
    cat.organisation = {seg: [w for words in by_lang.values() for w in words]
                        for seg, by_lang in lexicon.organisation.items()}
    cat.add_deals(load_sample_deals())
    return cat


def extend_catalogue(deals: Iterable) -> None:
    """Add a team's ingested deals (their titles, products, competitors) to the vocabulary."""
    catalogue().add_deals(deals)


def money_value(text: str) -> float | None:
    """The first amount in ``text`` as a number (3800元 → 3800, 20万 → 200000, $40k → 40000)."""
    for symbol, number, unit in _AMOUNT.findall(text or ""):
        if not symbol and not unit:
            continue
        try:
            value = float(number.replace(",", ""))
        except ValueError:
            continue
        return value * _UNIT.get(unit, 1.0)
    return None


def _amounts(text: str) -> list[float]:
    out = []
    for symbol, number, unit in _AMOUNT.findall(text):
        if symbol or unit in _UNIT:
            try:
                out.append(float(number.replace(",", "")) * _UNIT.get(unit, 1.0))
            except ValueError:
                continue
    return out


def chinese_number(text: str) -> int:
    """三百 → 300, 两千五 is read as 2000 (enough to place a headcount in a size range), 几十 → 20."""
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            total += (digit or 1) * _CN_UNIT[ch]
            digit = 0
    return total + digit


def _headcounts(text: str) -> list[int]:
    out = [n for m in _CN_HEADCOUNT.findall(text) if (n := chinese_number(m)) > 1]  # 「我一个人」 is no headcount
    for zh, en in _HEADCOUNT.findall(text):
        try:
            out.append(int((zh or en).replace(",", "")))
        except ValueError:
            continue
    return out


def check_line(line: str, persona: PersonaView, cat: Catalogue | None = None) -> list[str]:
    """Every way ``line`` contradicts ``persona``, as short reasons; an empty list means consistent."""
    cat = cat or catalogue()
    problems: list[str] = []
    own = [o.lower() for o in (persona.title, persona.decision_maker, *persona.decision_chain) if o]
    for role in cat.found("roles", line):
        low = role.lower()
        if not any(low in o or o in low for o in own) and not any(role in p for p in persona.products) \
                and role not in persona.company:
            problems.append(f"role '{role}' is not in the decision chain ({', '.join(own) or 'none'})")
            break
    mine = set(persona.products) | cat.products.get(persona.industry, set())
    for product in cat.found("products", line):
        if product not in mine:
            owner = next((i for i, ps in cat.products.items() if product in ps), "another industry")
            problems.append(f"product '{product}' belongs to {owner}, not {persona.industry or 'this industry'}")
            break
    for word in cat.found("organisation", line, persona.segment):
        if word not in persona.company and word not in persona.size:
            problems.append(f"'{word}' does not fit a {persona.segment} company ({persona.size or persona.company})")
            break
    low, high = cat.headcount.get(persona.segment, (0, 10**9))
    for count in _headcounts(line):
        if not low <= count <= high:
            problems.append(f"{count} people does not fit a {persona.segment} company ({persona.size or '-'})")
            break
    budget = persona.budget_amount if persona.budget_amount else money_value(persona.budget)
    if budget and _BUDGET_WORD.search(line):
        for value in _amounts(line):
            if abs(value - budget) > 0.02 * budget:
                problems.append(f"states a budget of {value:g} but the persona's budget is {persona.budget or budget}")
                break
    allowed_vendors = {persona.competitor, *persona.also_evaluating} - {""}
    for name in cat.found("competitors", line):
        if name not in allowed_vendors and not any(name in v for v in allowed_vendors):
            problems.append(f"names competitor '{name}' but the customer uses {persona.competitor or 'no vendor'}")
            break
    return problems
