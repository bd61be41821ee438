"""Wording for the customer's reactions (coach/data/customer_reactions.yaml), validated on load, and the words
that fill a reaction for one persona."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ValidationError, model_validator

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.reactions import COST_STANCES, STANCES, VENDOR_STANCES
from coach.roleplay.rep_moves import OFFERS, QUESTION_TOPICS
from coach.roleplay.state import CustomerState, Reaction
from coach.roleplay.templates import Bilingual

_POSSESSIVE = re.compile(r"(\w+s)'s\b")


class Ask(Bilingual):
    cues: list[str]


class ReactionBank(BaseModel):
    answer: dict[str, Bilingual]
    answer_none: dict[str, Bilingual]
    answer_again: dict[str, Bilingual]
    evade: dict[str, Bilingual]
    offer: dict[str, dict[str, Bilingual]]
    offer_repeat: Bilingual
    offer_labels: dict[str, dict[str, str]]
    pull_back: Bilingual
    pull_back_impatient: Bilingual
    ignore_instruction: Bilingual
    recall: Bilingual
    push_back: dict[str, Bilingual] = {}  # any | again | a temperament | a decision cycle
    defend_vendor: dict[str, Bilingual] = {}  # defend | sceptic | brag | again
    cost: dict[str, Bilingual] = {}  # ask_numbers | compare | verify | accept_condition | repeat | repeat_accepted
    asks: dict[str, Ask]
    voice_chance: dict[str, float] = {}
    voice: dict[str, Bilingual] = {}

    @model_validator(mode="after")
    def _complete(self):
        missing = [f"answer.{t}" for t in QUESTION_TOPICS if t not in self.answer]
        missing += [f"offer.{o}.{s}" for o in OFFERS for s in STANCES if s not in self.offer.get(o, {})]
        missing += [f"offer_labels.{o}" for o in OFFERS if o not in self.offer_labels]
        missing += [f"push_back.{k}" for k in ("any", "again", "committee") if k not in self.push_back]
        missing += [f"defend_vendor.{k}" for k in (*VENDOR_STANCES, "again") if k not in self.defend_vendor]
        missing += [f"cost.{k}" for k in (*COST_STANCES, "repeat", "repeat_accepted")
                    if k not in self.cost]
        if missing:
            raise ValueError(f"missing entries: {', '.join(missing)}")
        return self

    def asked_about(self, text: str) -> set[str]:
        """Which customer-question topics a text touches (a rep line covering one means: do not ask it)."""
        return {topic for topic, ask in self.asks.items()
                if any(re.search(p, text, re.IGNORECASE) for p in ask.cues)}


@lru_cache(maxsize=1)
def load_reaction_bank() -> ReactionBank:
    path = resources.files("coach.data") / "customer_reactions.yaml"
    try:
        return ReactionBank.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid customer reaction bank: {exc}") from exc


def _has(persona: PersonaView, topic: str) -> bool:
    return {"budget": bool(persona.budget), "vendor": bool(persona.competitor), "pain": bool(persona.pain),
            "decision": bool(persona.decision_chain or persona.decision_maker), "timeline": bool(persona.timeline),
            "volume": bool(persona.size)}.get(topic, True)


def fill(template: str, persona: PersonaView, **extra: str) -> str:
    slots = {**persona.slots(), **{k: v.replace("{", "(").replace("}", ")") for k, v in extra.items()}}
    try:
        text = template.format(**slots)
    except (KeyError, IndexError, ValueError):
        return template
    return _POSSESSIVE.sub(r"\1'", text) if persona.lang == "en" else text  # "Fresco Beverages' terms"


def reaction_lines(reaction: Reaction, persona: PersonaView, state: CustomerState) -> list[str]:
    """Every wording of one reaction for this persona (the realizer picks one that is fresh and consistent)."""
    bank, lang = load_reaction_bank(), "en" if persona.lang == "en" else "zh"
    kind = reaction.kind

    def pick(entry: Bilingual | None) -> list[str]:
        return list(getattr(entry, lang)) if entry else []

    if kind == "answer" and reaction.topic:
        if not _has(persona, reaction.topic):
            lines = pick(bank.answer_none.get(reaction.topic))
        elif state.answered.count(reaction.topic) > 1:  # asked before: say so, briefly
            lines = pick(bank.answer_again.get(reaction.topic)) + pick(bank.answer.get(reaction.topic))
        else:
            lines = pick(bank.answer.get(reaction.topic))
    elif kind == "evade" and reaction.topic:
        lines = pick(bank.evade.get(reaction.topic))
    elif kind == "offer" and reaction.offer:
        if reaction.stance == "repeat":
            label = bank.offer_labels[reaction.offer].get(lang, reaction.offer)
            return [fill(t, persona, offer=label) for t in pick(bank.offer_repeat)]
        stance = reaction.stance or "ask_details"
        if stance == "compare" and not persona.competitor:
            stance = "ask_details"
        lines = pick(bank.offer.get(reaction.offer, {}).get(stance))
    elif kind == "pull_back":
        lines = pick(bank.pull_back_impatient) + pick(bank.pull_back) if reaction.level >= 1 else pick(bank.pull_back)
    elif kind == "ignore_instruction":
        lines = pick(bank.ignore_instruction)
    elif kind == "recall" and reaction.claim:
        return [fill(t, persona, claim=reaction.claim) for t in pick(bank.recall)]
    elif kind == "push_back":
        lines = push_back_lines(reaction, persona, lang)
    elif kind == "defend_vendor":
        stance = reaction.stance if persona.competitor or reaction.stance == "brag" else "brag"
        lines = pick(bank.defend_vendor.get(stance))
        lines = pick(bank.defend_vendor.get("again")) + lines if reaction.level >= 1 else lines
    elif kind == "cost":
        stance = reaction.stance or "ask_numbers"
        if stance == "compare" and not persona.competitor:
            stance = "ask_numbers"
        if stance == "repeat" and state.cost_stance == "accept_condition":
            stance = "repeat_accepted"
        lines = pick(bank.cost.get(stance))
    else:
        lines = []
    return [fill(t, persona) for t in lines]


def push_back_lines(reaction: Reaction, persona: PersonaView, lang: str) -> list[str]:
    """Push-back on pressure in this persona's voice: its temperament's and decision cycle's lines (a committee
    buyer names its process) and the ones anybody says; after an earlier push, the impatient ones instead of the
    generic ones."""
    bank = load_reaction_bank().push_back
    keys = [persona.temperament, persona.decision_cycle, "again" if reaction.level >= 1 else "any"]
    return [t for key in dict.fromkeys(k for k in keys if k) for t in getattr(bank.get(key), lang, [])]


def question_lines(persona: PersonaView, covered: set[str]) -> list[str]:
    """Questions the customer may ask that the rep has not covered yet."""
    bank, lang = load_reaction_bank(), "en" if persona.lang == "en" else "zh"
    return [fill(t, persona) for topic, ask in bank.asks.items() if topic not in covered
            for t in getattr(ask, lang)]


def voice_lines(persona: PersonaView) -> tuple[float, list[str]]:
    """The chance that this persona's temperament adds a clause, and the clauses it may add."""
    bank, lang = load_reaction_bank(), "en" if persona.lang == "en" else "zh"
    entry = bank.voice.get(persona.temperament)
    chance = bank.voice_chance.get(persona.temperament, 0.0)
    return (chance, [fill(t, persona) for t in getattr(entry, lang)]) if entry else (0.0, [])
