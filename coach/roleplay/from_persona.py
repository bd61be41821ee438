"""Flatten a synthesized persona (personas.Persona) into what the engine and realizers use."""

from __future__ import annotations

import hashlib

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.policy import HiddenObjection
from personas.model import Persona

# Words that make a persona's trigger fire, by trigger kind and value (both languages).
TRIGGER_WORDS = {
    ("topic", "price"): "价格|报价|费用|多少钱|贵|便宜|折扣|price|cost|quote|discount|expensive",
    ("topic", "competitor"): "竞品|对手|别家|其他家|同行|现在用|competitor|alternative|vendor|switch",
    ("topic", "product"): "产品|功能|方案|系统|平台|product|feature|solution|platform",
    ("topic", "case_study"): "案例|客户|数据|证明|case|customer|reference|proof|data",
    ("topic", "contract"): "合同|条款|付款|账期|contract|terms|payment|invoice",
    ("topic", "rollout"): "上线|实施|部署|培训|迁移|rollout|implement|deploy|onboard|migration",
    ("rep_asks", "quote"): "报价|价格|多少钱|quote|pricing|price",
    ("rep_asks", "budget"): "预算|budget",
    ("rep_asks", "commitment"): "签|定下来|下单|合同|采购|commit|sign|decide|purchase|order",
    ("rep_asks", "meeting"): "约|见面|演示|会议|拜访|下周|demo|meeting|call|visit|next week",
}

TIMELINE = {
    "fast": ("这个月", "this month"),
    "standard": ("下个季度", "next quarter"),
    "committee": ("下次采购会", "the next procurement meeting"),
}


def trigger_string(kind: str, value: str | None) -> str:
    if kind == "always":
        return "always"
    if kind == "after_turn":
        return f"after_turn:{value or 2}"
    words = TRIGGER_WORDS.get((kind, value or ""))
    return f"mention:{words}" if words else "always"


def money(amount: float | None, currency: str, lang: str) -> str:
    if not amount:
        return ""
    if currency == "CNY" and lang == "zh":
        return f"{amount / 10000:g}万" if amount >= 10000 else f"{amount:g}元"
    symbol = "$" if currency == "USD" else "¥" if currency == "CNY" else ""
    if amount >= 1000:
        return f"{symbol}{amount / 1000:g}k" if symbol else f"{amount / 1000:g}k {currency}"
    return f"{symbol}{amount:g}" if symbol else f"{amount:g} {currency}"


def persona_view(persona: Persona) -> PersonaView:
    lang = persona.lang
    zh = lang == "zh"
    facts = persona.facts
    budget = money(facts.budget, facts.currency, lang)
    chain = "、".join(persona.decision_chain) if zh else ", ".join(persona.decision_chain)
    timeline = TIMELINE.get(persona.decision_cycle, TIMELINE["standard"])[0 if zh else 1]
    vendor = facts.current_vendor or persona.competitor.name or ""
    pain = facts.pain_points[0] if facts.pain_points else ""
    fact_lines = {}
    if budget:
        fact_lines["budget"] = budget
    if vendor:
        fact_lines["current_vendor"] = vendor
    if pain:
        fact_lines["pain_points"] = "、".join(facts.pain_points) if zh else ", ".join(facts.pain_points)
    if chain:
        fact_lines["decision_chain"] = chain
    fact_lines["timeline"] = timeline
    gender = "female" if int(hashlib.md5(persona.name.encode()).hexdigest(), 16) % 2 else "male"
    return PersonaView(
        name=persona.name, title=persona.title, company=persona.company.description,
        industry=persona.company.industry, segment=persona.company.segment, lang=lang, gender=gender,
        competitor=vendor, budget=budget, products=list(facts.products), pain=pain,
        decision_maker=persona.decision_chain[0] if persona.decision_chain else "",
        timeline=timeline, temperament=persona.temperament, style=persona.speaking_style, facts=fact_lines,
        hidden=hidden_strings(persona), decision_chain=list(persona.decision_chain), role=persona.role,
        size=persona.company.size or "", budget_amount=facts.budget, budget_sensitivity=persona.budget_sensitivity,
        decision_cycle=persona.decision_cycle, also_evaluating=list(persona.competitor.also_evaluating),
        satisfaction=persona.competitor.satisfaction,
    )


def hidden_objections(persona: Persona, limit: int = 4) -> list[HiddenObjection]:
    """The persona's hidden objections in order (scenario-given ones first), as policy objects."""
    ordered = sorted(persona.hidden_objections, key=lambda o: 0 if o.source == "scenario" else 1)
    out, seen = [], set()
    for item in ordered:
        if item.type in seen:
            continue
        seen.add(item.type)
        out.append(HiddenObjection(item.type, trigger_string(item.trigger.kind, item.trigger.value), item.severity))
    return out[:limit]


def hidden_strings(persona: Persona) -> list[str]:
    """Verbatim hidden texts the LLM customer must never repeat (trigger descriptions)."""
    return [o.trigger.text for o in persona.hidden_objections if o.trigger.text]
