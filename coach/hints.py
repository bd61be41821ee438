"""Hints for the trainee's next reply: the active objection's playbook steps, each with one ready phrase
adapted to the persona. Shown when the session's mode allows hints."""

from __future__ import annotations

import random

from coach.roleplay.persona_view import PersonaView
from knowledge.playbooks import load_playbooks


def fill(template: str, persona: PersonaView | None, lang: str = "zh") -> str:
    persona = persona or PersonaView(name="", lang=lang)
    slots = {**persona.slots(), "customer": persona.name}
    try:
        return template.format(**slots)
    except (KeyError, IndexError, ValueError):
        return template


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
