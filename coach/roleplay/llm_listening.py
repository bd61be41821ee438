"""What the LLM customer is told about the rep's move this turn, so it listens like the offline customer.

The move is not read here: the rep-move reader (``rep_moves.read_move``) and the reaction planner
(``reactions.react``, called by the policy) already put their verdict on the act as ``act.reactions``: which
question to answer (with the fact, when trust allows) or evade, the stance on an offer, a pull-back after
small talk, an order to ignore, a promise to recall, a push-back on pressure to close, how a put-down of a vendor
lands, the stance on a cost argument. This module words those reactions for the prompt
(``coach/data/llm_listening.yaml``), quotes the rep's own question, and lists the rep's earlier promises.
A hidden fact reaches the prompt only in an ``answer`` reaction, which the policy grants by trust.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ValidationError, model_validator

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.reaction_bank import load_reaction_bank
from coach.roleplay.reactions import COST_STANCES, STANCES, VENDOR_STANCES
from coach.roleplay.rep_moves import QUESTION_TOPICS, cues, read_move
from coach.roleplay.state import Act, CustomerState
from knowledge.understanding.features import sentences
from knowledge.yaml_lines import safe_load as bounded_yaml

MAX_QUOTE = 80  # characters of the rep's question quoted in the prompt
MAX_PROMISES = 3  # earlier promises listed, newest last
DECISION_CYCLES = ("committee", "standard", "fast")


class Words(BaseModel):
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class MoveTexts(BaseModel):
    """The YAML file, validated: every reaction kind, stance and question topic has its zh and en wording."""

    header: Words
    answer: Words
    answer_none: Words
    evade: Words
    offer: Words
    stances: dict[str, Words]
    pull_back: Words
    pull_back_impatient: Words
    ignore_instruction: Words
    recall: Words
    promises: Words
    topics: dict[str, Words]
    push_back: Words
    push_back_again: Words
    push_back_why: dict[str, Words]
    defend_vendor: dict[str, Words]
    cost: Words
    cost_stances: dict[str, Words]

    @model_validator(mode="after")
    def _complete(self):
        missing = [f"stances.{s}" for s in (*STANCES, "repeat") if s not in self.stances]
        missing += [f"topics.{t}" for t in QUESTION_TOPICS if t not in self.topics]
        missing += [f"push_back_why.{c}" for c in DECISION_CYCLES if c not in self.push_back_why]
        missing += [f"defend_vendor.{v}" for v in (*VENDOR_STANCES, "again") if v not in self.defend_vendor]
        missing += [f"cost_stances.{c}" for c in (*COST_STANCES, "repeat", "repeat_accepted")
                    if c not in self.cost_stances]
        if missing:
            raise ValueError(f"missing entries: {', '.join(missing)}")
        return self


@lru_cache(maxsize=1)
def move_texts() -> MoveTexts:
    path = resources.files("coach.data") / "llm_listening.yaml"
    try:
        return MoveTexts.model_validate(bounded_yaml(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid LLM listening prompt texts: {exc}") from exc


def _lang(persona: PersonaView) -> str:
    return "en" if persona.lang == "en" else "zh"


def topic_label(topic: str, lang: str) -> str:
    words = move_texts().topics.get(topic)
    return words.get(lang) if words else topic


def fact_value(topic: str, persona: PersonaView) -> str:
    """The persona's own answer to a question on ``topic`` ("" when the persona has none)."""
    sep = "、" if persona.lang != "en" else ", "
    return {"budget": persona.budget or persona.facts.get("budget", ""),
            "timeline": persona.timeline or persona.facts.get("timeline", ""),
            "decision": sep.join(persona.decision_chain) or persona.decision_maker,
            "vendor": persona.competitor or persona.facts.get("current_vendor", ""),
            "pain": persona.pain or persona.facts.get("pain_points", ""),
            "volume": persona.size}.get(topic, "") or ""


def question_text(rep_line: str, topic: str) -> str:
    """The rep's sentence that asks about ``topic`` (the rep-move reader's cues), clipped for the prompt."""
    pattern = cues()["questions"].get(topic)
    found = [s for s in sentences(rep_line or "") if pattern is not None and pattern.search(s)]
    text = (found[0] if found else rep_line or "").strip()
    return text if len(text) <= MAX_QUOTE else text[:MAX_QUOTE] + "…"


def _item(reaction, persona: PersonaView, rep_line: str, state: CustomerState) -> str:
    texts, lang = move_texts(), _lang(persona)
    kind = reaction.kind
    if kind in {"answer", "evade"} and reaction.topic:
        slots = {"topic": topic_label(reaction.topic, lang), "question": question_text(rep_line, reaction.topic)}
        if kind == "evade":
            return texts.evade.get(lang).format(**slots)
        fact = fact_value(reaction.topic, persona)
        return (texts.answer.get(lang).format(fact=fact, **slots) if fact
                else texts.answer_none.get(lang).format(**slots))
    if kind == "offer" and reaction.offer:
        label = load_reaction_bank().offer_labels.get(reaction.offer, {}).get(lang, reaction.offer)
        stance = reaction.stance or "ask_details"
        if stance == "compare" and not persona.competitor:
            stance = "ask_details"  # as the offline customer does: nothing to compare with
        stance_text = texts.stances[stance].get(lang).format(competitor=persona.competitor)
        return texts.offer.get(lang).format(offer=label, stance=stance_text)
    if kind == "pull_back":
        return (texts.pull_back_impatient if reaction.level >= 1 else texts.pull_back).get(lang)
    if kind == "ignore_instruction":
        return texts.ignore_instruction.get(lang)
    if kind == "recall" and reaction.claim:
        return texts.recall.get(lang).format(claim=reaction.claim)
    if kind == "push_back":
        return push_back_text(reaction, persona)
    if kind == "defend_vendor":
        return vendor_text(reaction, persona)
    if kind == "cost":
        return cost_text(reaction, persona, state)
    return ""


def push_back_text(reaction, persona: PersonaView) -> str:
    """Push back on pressure to close, for this persona's decision cycle (a committee names its process);
    more bluntly after an earlier push. Never a yes, never a buying signal."""
    texts, lang = move_texts(), _lang(persona)
    cycle = persona.decision_cycle if persona.decision_cycle in DECISION_CYCLES else "standard"
    boss = persona.decision_maker or ("老板" if lang == "zh" else "boss")
    chain = ("、" if lang == "zh" else ", ").join(persona.decision_chain) or boss
    why = texts.push_back_why[cycle].get(lang).format(chain=chain, decision_maker=boss)
    return (texts.push_back_again if reaction.level >= 1 else texts.push_back).get(lang).format(why=why)


def vendor_text(reaction, persona: PersonaView) -> str:
    """How a put-down lands: defend the vendor in use (happy with it), doubt the rep (not happy, or a vendor
    being evaluated), hear bragging (no vendor); as the offline customer, "brag" when the persona names none."""
    texts, lang = move_texts(), _lang(persona)
    stance = reaction.stance if reaction.stance in VENDOR_STANCES else "brag"
    if not persona.competitor and stance != "brag":
        stance = "brag"
    line = texts.defend_vendor[stance].get(lang).format(competitor=persona.competitor)
    if reaction.level >= 1:
        line += ("" if lang == "zh" else " ") + texts.defend_vendor["again"].get(lang)
    return line


def cost_text(reaction, persona: PersonaView, state: CustomerState) -> str:
    """The stance on a cost argument: ask for (or check) the numbers, compare with the vendor in use, accept
    with a condition; made again, still waiting for the figures (or already accepted)."""
    texts, lang = move_texts(), _lang(persona)
    stance = reaction.stance or "ask_numbers"
    if stance == "compare" and not persona.competitor:
        stance = "ask_numbers"
    if stance == "repeat" and state.cost_stance == "accept_condition":
        stance = "repeat_accepted"
    words = texts.cost_stances.get(stance) or texts.cost_stances["ask_numbers"]
    return texts.cost.get(lang).format(stance=words.get(lang).format(competitor=persona.competitor))


def move_brief(act: Act, persona: PersonaView, state: CustomerState, rep_line: str) -> str:
    """The prompt's lines on the rep's move ("" on the opening or when the rep did nothing the customer reacts to).

    One line per reaction the policy planned, then the rep's earlier promises (not this turn's) that the
    customer may hold the rep to."""
    texts, lang = move_texts(), _lang(persona)
    items = [line for reaction in act.reactions if (line := _item(reaction, persona, rep_line, state))]
    fresh = set(read_move(rep_line).claims) if rep_line else set()
    recalled = {r.claim for r in act.reactions if r.kind == "recall"}
    earlier = [c for c in state.claims if c not in fresh and c not in recalled][-MAX_PROMISES:]
    if earlier:
        quote = "；".join(f"「{c}」" for c in earlier) if lang == "zh" else "; ".join(f'"{c}"' for c in earlier)
        items.append(texts.promises.get(lang).format(claims=quote))
    if not items:
        return ""
    return "\n".join([texts.header.get(lang), *(f"- {item}" for item in items)])
