"""Hints for the trainee's next reply: the active objection's playbook steps, each with one ready phrase
adapted to the persona. Shown when the session's mode allows hints."""

from __future__ import annotations

import random

from coach.roleplay.persona_view import PersonaView
from knowledge.playbooks import load_playbooks
from knowledge.taxonomy import INDUSTRY_LABELS_ZH

# A slot the persona cannot fill gets a neutral word, never the raw "{slot}".
NEUTRAL = {
    "zh": {"industry": "同行业", "customer": "您", "name": "您", "product": "我们的方案", "competitor": "现在的供应商",
           "company": "贵公司", "city": "本地"},
    "en": {"industry": "similar", "customer": "you", "name": "you", "product": "our solution",
           "competitor": "your current vendor", "company": "your company", "city": "your area"},
}


def industry_label(industry: str | None, lang: str) -> str:
    """The industry as a reader says it (快消 / consumer-goods), never its id (fmcg); neutral when unknown."""
    lang = "en" if lang == "en" else "zh"
    if not industry:
        return NEUTRAL[lang]["industry"]
    if lang == "zh":
        return INDUSTRY_LABELS_ZH.get(industry, NEUTRAL["zh"]["industry"])
    from personas.behaviour import get_behaviour

    return get_behaviour().industry_labels_en.get(industry, NEUTRAL["en"]["industry"])


class _Slots(dict):
    def __init__(self, values: dict[str, str], lang: str) -> None:
        super().__init__(values)
        self.lang = lang

    def __missing__(self, key: str) -> str:
        return NEUTRAL[self.lang].get(key, "")


def fill(template: str, persona: PersonaView | None, lang: str = "zh") -> str:
    """A hint template with the persona's words in its slots ({industry} as a label, unknown slots neutral)."""
    lang = "en" if lang == "en" else "zh"
    persona = persona or PersonaView(name="", lang=lang)
    slots = {k: v for k, v in persona.slots().items() if v}
    slots["industry"] = industry_label(persona.industry, lang)
    slots["customer"] = persona.name or NEUTRAL[lang]["customer"]
    try:
        return template.format_map(_Slots(slots, lang))
    except (IndexError, ValueError):  # a stray brace in trainer text: show it as written, minus slot syntax
        return template.replace("{", "").replace("}", "")


def next_reply_hints(objection: str | None, lang: str, persona: PersonaView | None = None, seed: int = 0,
                     limit: int = 3) -> list[dict[str, str]]:
    """Up to ``limit`` playbook steps for this objection: {"step", "label", "phrase"}; empty without one."""
    if not objection or objection == "none":
        return []
    playbook = load_playbooks().get(objection)
    if playbook is None:
        return []
    lang = "en" if lang == "en" else "zh"
    rng = random.Random(f"{seed}:{objection}")
    out = []
    for step in playbook.steps:
        examples = getattr(step.exemplars, lang)
        if not examples:
            continue
        out.append({"step": step.id, "label": getattr(step.description, lang),
                    "phrase": fill(rng.choice(examples), persona, lang)})
        if len(out) >= limit:
            break
    return out


def hints_markdown(hints: list[dict[str, str]], lang: str) -> str:
    from html import escape

    if not hints:
        return ""
    head = "**下一句可以这样说：**" if lang != "en" else "**Next reply ideas:**"
    rows = [f"{i}. *{escape(h['label'])}* — {escape(h['phrase'])}" for i, h in enumerate(hints, 1)]
    return head + "\n\n" + "\n".join(rows)
