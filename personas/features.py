"""What one deal says about its customer: cycle category, temperament vote, formality, objections.

Persona synthesis samples these per-deal readings, so every persona attribute follows the corpus.
"""

from __future__ import annotations

import re
from collections import Counter

from knowledge.records import DealRecord
from personas.behaviour import Behaviour

_CJK = re.compile(r"[\u4e00-\u9fff]")
PRICE_TYPES = frozenset({"price", "budget"})


def is_chinese(text: str | None) -> bool:
    return bool(text and _CJK.search(text))


def primary_competitor(deal: DealRecord) -> str | None:
    """The vendor in use: the first competitor listed on the deal (later ones were only evaluated)."""
    return deal.competitors[0] if deal.competitors else None


def cycle_category(deal: DealRecord, rules: Behaviour) -> str:
    """fast / standard / committee from cycle_days, or from the decision-chain size when days are unknown."""
    bands = rules.decision_cycle
    if deal.cycle_days is None:
        return "committee" if len(deal.decision_chain) >= bands.committee_chain_size else "standard"
    if deal.cycle_days <= bands.fast.max_days:
        return "fast"
    if deal.cycle_days <= bands.standard.max_days:
        return "standard"
    return "committee"


def customer_turns(deal: DealRecord):
    return [t for t in deal.turns if t.speaker == "customer"]


def objection_counts(deal: DealRecord) -> Counter[str]:
    """How many customer turns raised each objection type."""
    counts: Counter[str] = Counter()
    for turn in customer_turns(deal):
        counts.update(set(turn.objections))
    return counts


def first_objection_turn(deal: DealRecord, objection: str) -> int | None:
    """1-based index of the customer turn where ``objection`` first appears."""
    for index, turn in enumerate(customer_turns(deal), start=1):
        if objection in turn.objections:
            return index
    return None


def raises_price(deal: DealRecord) -> bool:
    return any(PRICE_TYPES & set(t.objections) for t in customer_turns(deal))


def temperament_vote(deal: DealRecord, rules: Behaviour) -> str:
    """The temperament a deal's customer turns suggest; thresholds live in behaviour.yaml."""
    turns = customer_turns(deal)
    if not turns:
        return "direct"
    limits = rules.temperament_rules
    presses = sum(1 for t in turns if t.act == "press_objection")
    objection_turns = sum(1 for t in turns if t.objections)
    stalls = sum(
        1 for t in turns
        if t.act in {"stall", "ask_question"} or {"timing", "trust", "stall"} & set(t.objections)
    )
    mean_len = sum(len(t.text) for t in turns) / len(turns)
    if presses >= limits.assertive_min_presses or objection_turns >= limits.assertive_min_presses + 1:
        return "assertive"
    if stalls >= limits.cautious_min_stalls:
        return "cautious"
    if mean_len >= limits.talkative_min_chars.get(deal.lang, 60):
        return "talkative"
    return "direct"


def speaking_style(deal: DealRecord, rules: Behaviour) -> str:
    """formal when the customer uses polite markers (您, kindly…) or the account is a KA."""
    text = " ".join(t.text for t in customer_turns(deal)).lower()
    if deal.segment == "ka" or any(m.lower() in text for m in rules.formal_markers):
        return "formal"
    return "casual"
