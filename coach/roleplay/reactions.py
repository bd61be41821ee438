"""How the customer reacts to what the rep just did, decided from the persona's traits and the conversation so far:
answer a question (or evade it when the customer does not trust the rep enough yet), take a stance on an offer
(accept with a condition, ask for details, reject, compare with the vendor in use), pull an off-topic talk back,
ignore orders given to the customer, hold the rep to an earlier promise.

These are policy decisions (the policy reads them back: an accepted trial is a next step, an off-topic reply
costs patience), so they live beside the policy, not in a realizer.
"""

from __future__ import annotations

import random

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.rep_moves import RepMove, topics_in
from coach.roleplay.state import CustomerState, Reaction

# Which persona fact answers a question on each topic (volume is answered from the company size, never hidden).
TOPIC_FACT = {"budget": "budget", "timeline": "timeline", "decision": "decision_chain", "vendor": "current_vendor",
              "pain": "pain_points", "volume": None}
NEXT_STEP_OFFERS = {"trial", "references", "visit"}  # accepting one of these is agreeing to a next step
STANCES = ("accept_condition", "ask_details", "reject", "compare")
RECALL_ACTS = {"buying_signal", "ask_question", "stall", "agree_next_step", "press_objection"}


def trust_needed(topic: str, persona: PersonaView | None) -> float:
    """How much trust a customer needs before telling the truth on a topic: money most of all, more so for a
    budget-sensitive customer; the decision chain is guarded in a committee purchase."""
    if persona is None:
        return 0.2
    if topic == "budget":
        return 0.25 + 0.25 * persona.budget_sensitivity
    if topic == "decision":
        return 0.35 if persona.decision_cycle == "committee" else 0.2
    if topic == "vendor":
        return 0.3 if (persona.satisfaction or 0) >= 0.6 else 0.2
    return 0.15


def stance_weights(offer: str, state: CustomerState, persona: PersonaView | None) -> dict[str, float]:
    """Weights over the four stances for one offer; traits and trust tilt them, a seeded draw picks one."""
    w = {"accept_condition": 1.0, "ask_details": 1.0, "reject": 0.4, "compare": 0.0}
    sensitivity = persona.budget_sensitivity if persona else 0.5
    cycle = persona.decision_cycle if persona else "standard"
    segment = persona.segment if persona else ""
    if persona and persona.competitor:
        w["compare"] = 0.8 + (1.0 if (persona.satisfaction or 0) >= 0.6 else 0.0)
    if state.trust >= 0.55:
        w["accept_condition"] *= 2.5
        w["reject"] *= 0.5
    elif state.trust < 0.3:
        w["reject"] *= 2.5
        w["accept_condition"] *= 0.5
    if offer == "trial":
        w["accept_condition"] *= 2.0 if cycle == "fast" else 1.0
        w["ask_details"] *= 2.0 if cycle == "committee" else 1.0
        w["accept_condition"] *= 1.5 if sensitivity >= 0.6 else 1.0
    elif offer == "discount":
        if sensitivity >= 0.6:
            w["accept_condition"] *= 2.5
        elif sensitivity < 0.35:
            w["reject"] *= 3.0
            w["accept_condition"] *= 0.5
    elif offer == "case_study":
        w["ask_details"] *= 2.0 if state.trust < 0.45 else 1.0
    elif offer == "references":
        w["accept_condition"] *= 2.0 if cycle == "committee" else 1.0
    elif offer == "visit":
        if segment == "individual" or cycle == "fast":
            w["reject"] *= 2.5
        if segment == "ka" or cycle == "committee":
            w["accept_condition"] *= 2.0
    elif offer == "guarantee":
        w["ask_details"] *= 2.0
        w["reject"] *= 2.0 if state.trust < 0.35 else 1.0
    elif offer == "contract":
        w["ask_details"] *= 2.0 if cycle == "committee" else 1.0
        w["accept_condition"] *= 1.5 if sensitivity >= 0.6 else 1.0
    return w


def choose_stance(offer: str, state: CustomerState, persona: PersonaView | None, rng: random.Random) -> str:
    if offer in state.offers:
        return "repeat"  # the rep offered it before: the customer says so
    weights = stance_weights(offer, state, persona)
    return rng.choices(list(weights), weights=[weights[s] for s in weights])[0]


def react(move: RepMove, off_topic: bool, score: float, state: CustomerState, persona: PersonaView | None,
          facts: list[str], rng: random.Random) -> list[Reaction]:
    """The reactions to one reply, in the order the customer says them; records them in ``state``."""
    if move.instruction:
        return [Reaction(kind="ignore_instruction")]
    if off_topic:
        return [Reaction(kind="pull_back", level=max(0, state.off_topic_run - 1))]
    out: list[Reaction] = []
    for topic in move.questions[:2]:
        fact = TOPIC_FACT.get(topic)
        known = fact is None or fact in facts
        # trust is the gate: the grade reads a question against the open objection, not as discovery
        allowed = (fact in state.revealed) or state.trust >= trust_needed(topic, persona)
        if known and not allowed:
            out.append(Reaction(kind="evade", topic=topic))
        else:
            out.append(Reaction(kind="answer", topic=topic, fact=fact if known else None))
            state.answered.append(topic)
    for offer in move.offers[:1 if out else 2]:
        stance = choose_stance(offer, state, persona, rng)
        out.append(Reaction(kind="offer", offer=offer, stance=stance))
        if stance != "repeat":
            state.offers[offer] = stance
    return out


def recall(state: CustomerState, act_kind: str, rng: random.Random, fresh_claims: tuple[str, ...]) -> Reaction | None:
    """Hold the rep to a promise made in an earlier turn (not this one), once per promise, now and then."""
    if act_kind not in RECALL_ACTS:
        return None
    waiting = [c for c in state.claims if c not in state.recalled and c not in fresh_claims]
    if not waiting or rng.random() > 0.6:
        return None
    claim = waiting[0]
    state.recalled.append(claim)
    return Reaction(kind="recall", claim=claim)


def remember(state: CustomerState, move: RepMove, off_topic: bool) -> None:
    """What the customer keeps from one reply: topics covered (never asked again), promises, off-topic run."""
    covered = [*move.questions, *move.offers, *move.mentions]
    for claim in move.claims:
        covered.extend(topics_in(claim))
        if claim not in state.claims:
            state.claims.append(claim)
    for topic in covered:
        if topic not in state.rep_topics:
            state.rep_topics.append(topic)
    state.off_topic_run = state.off_topic_run + 1 if off_topic else 0
