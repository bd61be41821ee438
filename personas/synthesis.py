"""Synthesize a persona for one practice session from a pool's deals, reproducibly from a seed.

Every hidden attribute is drawn from what the grounding deals actually show (competitor in use,
decision chain, cycle length, objection frequencies, amounts), so over many sessions a pool's
personas look like its deals. Grounding deals are an anchor deal plus neighbours from the same
industry and segment (or, when a ``retrieve`` callable is given, the most similar deals).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from knowledge.records import DealRecord
from knowledge.taxonomy import INDUSTRY_LABELS_ZH
from personas import features
from personas._data import PersonaDataError
from personas.behaviour import Behaviour, get_behaviour
from personas.model import (
    Company,
    CompetitorUse,
    HiddenObjection,
    KnownFacts,
    Persona,
    PersonaConstraints,
    Trigger,
)
from personas.names import generate_name
from personas.pools import Pool, get_pool

GROUNDING_K = 6
MAX_SAMPLED_OBJECTIONS = 3
MAX_HIDDEN_OBJECTIONS = 5  # scenario-given plus sampled; more than this no trainee can address
INTENSITY_SEVERITY = {"low": 0.35, "medium": 0.6, "high": 0.85}
OUTCOME_SATISFACTION = {"won": 0.35, "open": 0.5, "lost": 0.7}  # we won = they were less happy

Retrieve = Callable[[str, dict[str, Any]], Sequence[str]]


class PersonaError(PersonaDataError):
    """No persona can be built (e.g. no deal fits the scenario); the message says what to change."""


class ScenarioLike(Protocol):
    """What synthesis needs from a scenario (scenarios.Scenario satisfies it)."""

    id: str
    pool: str
    language: str
    persona: PersonaConstraints


def eligible_deals(scenario: ScenarioLike, deals: Sequence[DealRecord], rules: Behaviour | None = None) -> list[DealRecord]:
    """The pool's deals that meet the scenario's persona constraints, in deal-id order."""
    rules = rules or get_behaviour()
    pool = get_pool(scenario.pool)
    wanted = scenario.persona
    unique = {d.deal_id: d for d in deals}
    out = []
    for deal in sorted(unique.values(), key=lambda d: d.deal_id):
        if not pool.matches(deal):
            continue
        if wanted.industry and deal.industry not in wanted.industry:
            continue
        if wanted.segment and deal.segment not in wanted.segment:
            continue
        if wanted.decision_cycle and features.cycle_category(deal, rules) not in wanted.decision_cycle:
            continue
        if wanted.has_competitor is not None and bool(deal.competitors) != wanted.has_competitor:
            continue
        out.append(deal)
    return same_language(out, getattr(scenario, "language", None))


def same_language(deals: list[DealRecord], lang: str | None) -> list[DealRecord]:
    """A customer speaks the scenario's language, so ground them on that language's deals when the pool has
    any (names of vendors, products and pains then read naturally); a pool without such deals keeps all."""
    if not lang:
        return deals
    matching = [d for d in deals if d.lang == lang]
    return matching or deals


def synthesize_persona(
    scenario: ScenarioLike,
    deals: Sequence[DealRecord],
    seed: int,
    retrieve: Retrieve | None = None,
    k: int = GROUNDING_K,
) -> Persona:
    """Build the customer for ``scenario`` from ``deals``; same scenario, pool, deals and seed -> same persona."""
    rules = get_behaviour()
    pool = get_pool(scenario.pool)
    eligible = eligible_deals(scenario, deals, rules)
    if not eligible:
        in_pool = sum(1 for d in deals if pool.matches(d))
        raise PersonaError(
            f"scenario {scenario.id!r}: no deal fits pool {pool.id!r} and its persona constraints "
            f"({in_pool} of {len(deals)} deals are in the pool); loosen persona constraints or ingest more deals"
        )
    rng = random.Random(f"{scenario.id}|{pool.id}|{seed}")
    grounding = _grounding(scenario, eligible, rng, retrieve, k)
    return _Builder(scenario, pool, seed, grounding, rng, rules).build()


def _grounding(scenario, eligible, rng, retrieve, k) -> list[DealRecord]:
    anchor = rng.choice(eligible)
    stratum = [d for d in eligible if d is not anchor and (d.industry, d.segment) == (anchor.industry, anchor.segment)]
    neighbours: list[DealRecord] = []
    if retrieve is not None:
        by_id = {d.deal_id: d for d in eligible}
        query = " ".join(filter(None, [getattr(scenario, "title", ""), anchor.core_need or ""]))
        for deal_id in retrieve(query, {"industry": anchor.industry, "segment": anchor.segment}):
            deal = by_id.get(deal_id)
            if deal is not None and deal is not anchor and deal not in neighbours:
                neighbours.append(deal)
            if len(neighbours) >= k - 1:
                break
        stratum = [d for d in stratum if d not in neighbours]
    missing = max(0, k - 1 - len(neighbours))
    neighbours += rng.sample(stratum, min(missing, len(stratum)))
    return [anchor, *neighbours]


class _Builder:
    """Draws each attribute from the grounding deals with one seeded RNG, in a fixed order."""

    def __init__(self, scenario, pool: Pool, seed: int, grounding: list[DealRecord], rng: random.Random, rules: Behaviour):
        self.scenario, self.pool, self.seed = scenario, pool, seed
        self.deals, self.rng, self.rules = grounding, rng, rules
        self.lang = scenario.language
        self.anchor = grounding[0]

    def pick(self) -> DealRecord:
        return self.rng.choice(self.deals)

    def build(self) -> Persona:
        role, title = self._title()
        competitor = self._competitor()
        cycle = features.cycle_category(self.pick(), self.rules)
        chain_deal = self.pick()
        chain = [self._localize_title(t) for t in chain_deal.decision_chain]
        chain = list(dict.fromkeys(t for t in chain if t != title))
        return Persona(
            scenario_id=self.scenario.id, pool=self.pool.id, seed=self.seed, lang=self.lang,
            name=generate_name(self.rng, self.lang), title=title, role=role.id,
            company=self._company(), budget_sensitivity=self._budget_sensitivity(),
            decision_cycle=cycle, competitor=competitor, decision_chain=chain,
            hidden_objections=self._objections(), temperament=self._temperament(),
            speaking_style=features.speaking_style(self.pick(), self.rules),
            facts=self._facts(competitor), source_deal_ids=[d.deal_id for d in self.deals],
        )

    def _title(self):
        """A grounding deal's customer title in the persona's language, unless the scenario fixes title or role."""
        wanted = self.scenario.persona
        if wanted.title:
            return self.rules.role_for(wanted.title), wanted.title
        titles = [d.customer_title for d in self.deals if d.customer_title]
        if wanted.role:
            chains = [t for d in self.deals for t in d.decision_chain]
            titles = [t for t in titles + chains if self.rules.role_for(t).id in wanted.role]
        same_lang = [t for t in titles if self._same_lang(t)]
        if same_lang:
            return self.rules.role_for(same_lang[0]), same_lang[0]
        if titles:
            role = self.rules.role_for(titles[0])
        elif wanted.role:
            role = next(r for r in self.rules.roles if r.id == wanted.role[0])
        else:
            role = self.rules.roles[-1]
        return role, role.title.get(self.lang)

    def _same_lang(self, text: str) -> bool:
        if not features.is_chinese(text) and not any(c.isascii() and c.isalpha() for c in text):
            return True  # "50-200" reads the same in both languages
        return features.is_chinese(text) == (self.lang == "zh")

    def _localize_title(self, title: str) -> str:
        """Keep a title in the persona's language; otherwise use its role's generic title."""
        return title if self._same_lang(title) else self.rules.role_for(title).title.get(self.lang)

    def _company(self) -> Company:
        deal = self.anchor
        if self.lang == "zh":
            industry = INDUSTRY_LABELS_ZH.get(deal.industry, deal.industry)
            size = f"{deal.company_size}的" if deal.company_size and self._same_lang(deal.company_size) else ""
            text = self.rules.company_text.zh.format(size=size, industry=industry,
                                                     segment=self.rules.segment_nouns[deal.segment].zh)
        else:
            industry = self.rules.industry_labels_en.get(deal.industry, deal.industry.replace("_", " "))
            size = f" ({deal.company_size})" if deal.company_size and self._same_lang(deal.company_size) else ""
            article = "An" if industry[:1].lower() in "aeiou" else "A"
            text = self.rules.company_text.en.format(article=article, industry=industry, size=size,
                                                     segment=self.rules.segment_nouns[deal.segment].en)
        return Company(industry=deal.industry, segment=deal.segment, size=deal.company_size, description=text)

    def _competitor(self) -> CompetitorUse:
        deal = self.pick()
        name = features.primary_competitor(deal)
        if name is None:
            return CompetitorUse()
        base = OUTCOME_SATISFACTION[deal.outcome]
        if features.objection_counts(deal).get("competitor"):
            base += 0.1  # they defended their vendor in the conversation
        satisfaction = min(1.0, max(0.0, base + self.rng.uniform(-0.15, 0.15)))
        return CompetitorUse(name=name, satisfaction=round(satisfaction, 2), also_evaluating=deal.competitors[1:])

    def _budget_sensitivity(self) -> float:
        raised = sum(1 for d in self.deals if features.raises_price(d))
        value = self.rng.betavariate(1 + raised, 1 + len(self.deals) - raised)
        low, high = self.scenario.persona.budget_sensitivity
        return round(low + value * (high - low), 2)

    def _temperament(self) -> str:
        vote = features.temperament_vote(self.pick(), self.rules)
        allowed = self.scenario.persona.temperament
        if not allowed or vote in allowed:
            return vote
        votes = Counter(features.temperament_vote(d, self.rules) for d in self.deals)
        return self.rng.choices(allowed, weights=[votes[t] + 1 for t in allowed])[0]

    def _objections(self) -> list[HiddenObjection]:
        plan = getattr(self.scenario, "objections", None)
        out: list[HiddenObjection] = []
        for kind in getattr(plan, "types", []) or []:
            base = INTENSITY_SEVERITY.get(getattr(plan, "intensity", "medium"), 0.6)
            out.append(self._objection(kind, base + self.rng.uniform(-0.08, 0.08), "scenario"))
        counts = Counter()
        for deal in self.deals:
            counts.update(features.objection_counts(deal).keys())
        per_deal = len(features.objection_counts(self.pick()))
        wanted = min(MAX_SAMPLED_OBJECTIONS, max(1, per_deal), max(0, MAX_HIDDEN_OBJECTIONS - len(out)))
        pool = {t: n for t, n in sorted(counts.items()) if t not in {o.type for o in out}}
        for _ in range(wanted):
            if not pool:
                break
            kind = self.rng.choices(list(pool), weights=list(pool.values()))[0]
            share = pool.pop(kind) / len(self.deals)
            out.append(self._objection(kind, 0.25 + 0.6 * share + self.rng.uniform(-0.1, 0.1), "deals"))
        return out

    def _objection(self, kind: str, severity: float, source: str) -> HiddenObjection:
        option = self.rng.choice(self.rules.triggers[kind])
        value = option.value
        if option.kind == "after_turn":
            seen = [n for d in self.deals if (n := features.first_objection_turn(d, kind))]
            value = str(self.rng.choice(seen) if seen else self.rng.randint(2, 4))
            label = value
        else:
            label = self.rules.trigger_values[value].get(self.lang) if value in self.rules.trigger_values else value
        text = self.rules.trigger_text[option.kind].get(self.lang).format(value=label)
        trigger = Trigger(kind=option.kind, value=value, text=text)
        return HiddenObjection(type=kind, trigger=trigger, severity=round(min(1.0, max(0.05, severity)), 2), source=source)

    def _facts(self, competitor: CompetitorUse) -> KnownFacts:
        with_amount = [d for d in self.deals if d.amount]
        budget, currency = None, self.anchor.currency
        if with_amount:
            deal = self.rng.choice(with_amount)
            budget, currency = _round_money(deal.amount * self.rng.uniform(0.85, 1.15)), deal.currency
        same_lang = [d.core_need for d in self.deals if d.core_need and features.is_chinese(d.core_need) == (self.lang == "zh")]
        return KnownFacts(
            budget=budget, currency=currency, current_vendor=competitor.name,
            pain_points=list(dict.fromkeys(same_lang))[:3], products=list(self.anchor.products),
        )


def _round_money(value: float) -> float:
    """Two significant figures: a customer says 'about 120k', not 117,384.2."""
    if value <= 0:
        return 0.0
    digits = len(str(int(value))) - 2
    step = 10 ** max(digits, 0)
    return float(round(value / step) * step)
