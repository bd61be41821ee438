"""How the customer reacts to what the rep just did, decided from the persona's traits and the conversation so far:
answer a question (or evade it when the customer does not trust the rep enough yet), take a stance on an offer
(accept with a condition, ask for details, reject, compare with the vendor in use), pull an off-topic talk back,
ignore orders given to the customer, hold the rep to an earlier promise, push back on pressure to close, stand up
for the vendor in use when the rep runs it down, weigh a cost argument (ask for the numbers, compare, accept).

These are policy decisions (the policy reads them back: an accepted trial is a next step, an off-topic reply
costs patience), so they live beside the policy, not in a realizer.
"""

from __future__ import annotations

import random

from coach.roleplay.consistency import catalogue
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.rep_moves import RepMove, runs_down, topics_in
from coach.roleplay.state import CustomerState, Reaction

# Which persona fact answers a question on each topic (volume is answered from the company size, never hidden).
TOPIC_FACT = {"budget": "budget", "timeline": "timeline", "decision": "decision_chain", "vendor": "current_vendor",
              "pain": "pain_points", "volume": None}
NEXT_STEP_OFFERS = {"trial", "references", "visit"}  # accepting one of these is agreeing to a next step
STANCES = ("accept_condition", "ask_details", "reject", "compare")
RECALL_ACTS = {"buying_signal", "ask_question", "stall", "agree_next_step", "press_objection"}
VENDOR_STANCES = ("defend", "sceptic", "brag")  # happy with the vendor run down | not happy | uses none
COST_STANCES = ("ask_numbers", "compare", "verify", "accept_condition")


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


def vendor_stance(move: RepMove, persona: PersonaView | None) -> str | None:
    """How the customer takes a put-down: defends the vendor it uses (happy with it), grows sceptical of the rep
    (not happy, or a vendor it is evaluating), hears bragging (uses none); None when nothing it knows was hit."""
    if not move.put_downs:
        return None
    vendor = persona.competitor if persona else ""
    known = {v.lower() for v in (vendor, *(persona.also_evaluating if persona else [])) if v}

    def names_another(sentence: str) -> bool:
        return any(name.lower() not in known for name in catalogue().found("competitors", sentence))

    if vendor and runs_down(move, vendor, names_another):
        return "defend" if (persona.satisfaction if persona.satisfaction is not None else 0.5) >= 0.5 else "sceptic"
    if persona and any(runs_down(move, other, names_another) for other in persona.also_evaluating if other):
        return "sceptic"
    return "brag" if runs_down(move, "", names_another) else None


def cost_weights(state: CustomerState, persona: PersonaView | None, shown: bool = False) -> dict[str, float]:
    """Weights over the cost stances: a budget-sensitive customer wants the numbers (or the vendor it pays now
    beside them; it checks them itself when the rep ``shown`` them already), a relaxed one accepts the argument
    with a condition; in between, trust tilts it."""
    sensitivity = persona.budget_sensitivity if persona else 0.5
    vendor = bool(persona and persona.competitor)
    ask = "verify" if shown else "ask_numbers"
    compare = (0.3 if shown else 1.0) if vendor else 0.0  # numbers on the table leave less to compare
    if sensitivity >= 0.6:
        return {ask: 1.0, "compare": 0.8 * compare, "accept_condition": 0.0}
    if sensitivity < 0.35:
        return {ask: 0.0, "compare": 0.0, "accept_condition": 1.0}
    w = {ask: 1.0, "compare": 0.5 * compare, "accept_condition": 1.0}
    if state.trust >= 0.55:
        w["accept_condition"] *= 2.0
    elif state.trust < 0.3:
        w[ask] *= 2.0
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
    vendor = vendor_stance(move, persona)
    if vendor:  # a put-down is answered first: nothing else the rep said lands before it
        out.append(Reaction(kind="defend_vendor", stance=vendor, level=max(0, state.put_downs - 1)))
    if move.pressure:
        out.append(Reaction(kind="push_back", level=max(0, state.pressured - 1)))
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
    if move.cost and not any(r.kind == "offer" for r in out) and len(out) < 2:
        if state.cost_stance:
            stance = "repeat"
        else:
            weights = cost_weights(state, persona, move.cost_shown)
            stance = rng.choices(list(weights), weights=[weights[s] for s in weights])[0]
            state.cost_stance = stance
        out.append(Reaction(kind="cost", stance=stance))
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


def remember(state: CustomerState, move: RepMove, off_topic: bool, persona: PersonaView | None = None) -> None:
    """What the customer keeps from one reply: topics covered (never asked again), promises, off-topic run, how
    often it was pushed to close and how often its vendor was run down."""
    covered = [*move.questions, *move.offers, *move.mentions]
    for claim in move.claims:
        covered.extend(topics_in(claim))
        if claim not in state.claims:
            state.claims.append(claim)
    for topic in covered:
        if topic not in state.rep_topics:
            state.rep_topics.append(topic)
    state.off_topic_run = state.off_topic_run + 1 if off_topic else 0
    if not off_topic and not move.instruction:
        state.pressured += move.pressure
        state.put_downs += vendor_stance(move, persona) is not None
