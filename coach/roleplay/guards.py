"""Checks on an LLM customer's line: did it start selling, leak hidden persona fields, or contradict a fact?"""

from __future__ import annotations

import re

from coach.roleplay.persona_view import PersonaView

_SELLER = re.compile(
    r"我们的(产品|方案|系统|服务)|我们公司(可以|能)|为您提供|给您(优惠|折扣|打折)|欢迎(试用|购买|咨询)|购买我们|"
    r"我(可以|能)给您|我们(可以|能)帮您|\bour (product|solution|platform|service)s?\b|\bwe can offer\b|"
    r"\bI can offer you\b|\blet me show you (our|how our)\b|\bbuy from us\b|\bsign up (today|now)\b|\bour pricing\b",
    re.IGNORECASE,
)
_OUT_OF_CHARACTER = re.compile(
    r"作为(一个)?AI|人工智能助手|系统提示|隐藏异议|预算敏感度|budget_sensitivity|hidden_objection|"
    r"\bas an AI\b|\blanguage model\b|\bsystem prompt\b|\bmy instructions\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|千|k|K|百万|million|m\b)")


def role_inversion(text: str) -> bool:
    """The customer talks like the seller."""
    return bool(_SELLER.search(text))


def leaks_hidden(text: str, hidden_strings: list[str]) -> bool:
    """Breaks character or repeats a hidden persona field verbatim (trigger texts, internal field names)."""
    if _OUT_OF_CHARACTER.search(text):
        return True
    return any(len(h) >= 6 and h in text for h in hidden_strings)


def contradicts(text: str, persona: PersonaView, known_competitors: list[str]) -> str | None:
    """A reason when the line names another vendor as the current one or states a different budget."""
    for name in known_competitors:
        if name and name != persona.competitor and name in text:
            return f"mentions competitor {name} but the customer uses {persona.competitor or 'nobody'}"
    budget = _AMOUNT.search(persona.budget or "")
    if budget:
        for value, unit in _AMOUNT.findall(text):
            if unit == budget.group(2) and float(value) != float(budget.group(1)) and re.search(
                    r"预算|budget", text, re.I):
                return f"states budget {value}{unit} but the customer's budget is {persona.budget}"
    return None


def check_line(text: str, persona: PersonaView, hidden_strings: list[str], known_competitors: list[str]) -> str | None:
    """The first guard that fires, as a short reason, or None when the line is fine."""
    if role_inversion(text):
        return "role inversion: the customer started selling"
    if leaks_hidden(text, hidden_strings):
        return "leaked hidden persona fields or broke character"
    return contradicts(text, persona, known_competitors)
