"""The dialogue policy: explicit, testable rules that pick the customer's next act from its state.

Wording is not decided here (that is the realizer's job), so the same rules drive the offline and the
LLM customer, and a test can check "poor handling gets pressed, good handling gets dropped" directly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property

from coach.roleplay.persona_view import PersonaView
from coach.roleplay.reactions import NEXT_STEP_OFFERS, react, recall, remember, vendor_stance
from coach.roleplay.rep_moves import RepMove, read_move
from coach.roleplay.state import Act, CustomerState

# Which persona fact answers a good question asked while an objection is open.
FACT_FOR_OBJECTION = {
    "price": "budget", "budget": "budget", "competitor": "current_vendor", "need": "pain_points",
    "authority": "decision_chain", "timing": "timeline", "trust": "pain_points", "terms": "budget",
    "implementation": "pain_points", "stall": "decision_chain",
}


@dataclass(frozen=True)
class ReplySignal:
    """What the policy needs to know about one graded trainee reply."""

    score: float
    steps: frozenset[str] = frozenset()
    anti_patterns: frozenset[str] = frozenset()
    asks_question: bool = False
    text: str = ""
    relevance: float = 1.0  # the understanding layer: how much the reply addresses the customer's concern
    off_topic: float = 0.0

    @property
    def clarifies(self) -> bool:
        """An on-topic question counts; a question about football does not."""
        return "clarify" in self.steps or (self.asks_question and self.relevance >= 0.5)

    @property
    def advances(self) -> bool:
        return "advance" in self.steps

    @cached_property
    def move(self) -> RepMove:
        """What the reply asks, offers and promises (the rep-move reader)."""
        return read_move(self.text)

    @property
    def is_off_topic(self) -> bool:
        """The understanding layer reads it as unrelated (or it is small talk), and it names nothing of the deal."""
        return (self.off_topic >= 0.75 or self.move.small_talk) and not self.move.about_the_deal


@dataclass(frozen=True)
class HiddenObjection:
    type: str
    trigger: str = "always"  # always | after_turn:N | mention:词1|word2 | on_advance
    severity: float = 0.5


@dataclass
class PolicyConfig:
    max_turns: int = 12
    intensity: float = 0.5  # scenario intensity: raises the bar to resolve an objection
    max_presses: int = 3
    agree_trust: float = 0.5
    buying_trust: float = 0.62
    facts: list[str] = field(default_factory=list)  # persona fact keys available to reveal
    persona: PersonaView | None = None  # traits the reactions read (budget sensitivity, cycle, competitor)
    off_topic_limit: int = 3  # off-topic replies in a row before the customer hangs up




def resolve_need(severity: float, intensity: float) -> float:
    """How much handling an objection needs before the customer lets it go: one excellent reply settles a mild
    one, a severe objection in an intense scenario takes two or three good replies."""
    return 0.8 + 0.8 * severity + 0.4 * intensity


def handling(score: float) -> float:
    """What one reply contributes: nothing at 15 or below (empty agreement), ~1 for a reply scoring 65."""
    return max(0.0, (score - 15) / 50)


def trigger_fires(trigger: str, state: CustomerState, signal: ReplySignal | None) -> bool:
    """Evaluate a hidden objection's trigger; unknown triggers fire, so no objection is lost."""
    kind, _, arg = (trigger or "always").partition(":")
    kind = kind.strip().lower()
    if kind == "after_turn":
        return state.turn >= int(arg or 0)
    if kind == "mention":
        text = (signal.text if signal else "").lower()
        return any(word and word.lower() in text for word in arg.split("|"))
    if kind == "on_advance":
        return bool(signal and signal.advances)
    return True


def pressure_cost(persona: PersonaView | None, times: int) -> tuple[float, float]:
    """(trust, patience) one push to close costs: a cautious customer trusts the rep less, an assertive or
    direct one runs out of patience sooner, a committee buyer (long decision cycle) resists most; more each time."""
    trust, patience = 0.03, 0.08
    cycle = persona.decision_cycle if persona else "standard"
    temperament = persona.temperament if persona else ""
    trust += {"committee": 0.04, "standard": 0.02}.get(cycle, 0.0)
    patience += {"committee": 0.06, "standard": 0.03}.get(cycle, 0.0)
    trust += 0.03 if temperament == "cautious" else 0.0
    patience += {"assertive": 0.05, "direct": 0.03}.get(temperament, 0.0)
    scale = 1.5 if times >= 2 else 1.0
    return trust * scale, patience * scale


def put_down_cost(stance: str | None, persona: PersonaView | None) -> float:
    """The trust a put-down costs: most when it hits a vendor the customer is happy with, a little for bragging
    to a customer who uses none."""
    if stance == "defend":
        satisfaction = persona.satisfaction if persona and persona.satisfaction is not None else 0.5
        return 0.05 + 0.06 * satisfaction
    return {"sceptic": 0.05, "brag": 0.02}.get(stance or "", 0.0)


def update_state(state: CustomerState, signal: ReplySignal, severity: dict[str, float], cfg: PolicyConfig) -> bool:
    """Apply one graded reply to trust, patience and the active objection; True when it was resolved now."""
    state.turn += 1
    off_topic = signal.is_off_topic
    # a sincere question or a concrete offer is discovery, not a failed answer: it costs no trust or presses
    engaged = bool(signal.move.questions or signal.move.offers) and not off_topic
    delta = (signal.score - 40) / 200 - 0.05 * len(signal.anti_patterns) + (0.03 if signal.clarifies else 0)
    # small talk or an order to the customer is no proof of incompetence: it costs patience, little trust
    stray = off_topic or signal.move.instruction
    change = max(delta, -0.02) if engaged else max(delta, -0.05) if stray else delta
    remember(state, signal.move, off_topic, cfg.persona)
    # pushing to close or running down the customer's vendor never earns trust, whatever else the reply did
    pushed = pressed_now(signal)
    put_down = None if stray else vendor_stance(signal.move, cfg.persona)
    pressure_trust, pressure_patience = pressure_cost(cfg.persona, state.pressured) if pushed else (0.0, 0.0)
    if pushed or put_down:
        change = min(change, 0.0) - pressure_trust - put_down_cost(put_down, cfg.persona)
    state.trust += change
    if signal.move.instruction:
        state.patience -= 0.1
    elif off_topic:
        state.patience -= 0.05 + 0.1 * state.off_topic_run
    else:
        state.patience -= 0.05 + (0.1 if signal.score < 25 and not engaged else 0) \
            + 0.05 * len(signal.anti_patterns) + (0.1 * signal.off_topic if not signal.move.about_the_deal else 0)
    state.patience += 0.04 if signal.score >= 60 and not pushed else 0
    state.patience -= pressure_patience + (0.05 if put_down in {"defend", "sceptic"} else 0.0)
    if signal.advances and state.active is None and not pushed and not put_down:
        state.trust += 0.04  # a concrete next step once the concerns are settled reads as competence
    state.trust = min(1.0, max(0.0, state.trust))
    state.patience = min(1.0, max(0.0, state.patience))
    if signal.advances:
        state.asked_for_next_step = True
    active = state.active
    if active is None:
        return False
    state.progress[active] = state.progress.get(active, 0.0) + handling(signal.score)
    if state.progress[active] >= resolve_need(severity.get(active, 0.5), cfg.intensity):
        state.resolved.append(active)
        state.active = None
        return True
    if engaged:
        return False
    state.presses[active] = state.presses.get(active, 0) + 1
    if state.presses[active] >= 2 and signal.score < 40 and active not in state.escalated:
        state.escalated.append(active)
    return False


def pressed_now(signal: ReplySignal | None) -> bool:
    """The reply pushes the customer to close (and is not small talk or an order, which are answered as such)."""
    return bool(signal and signal.move.pressure and not signal.is_off_topic and not signal.move.instruction)


def choose_act(state: CustomerState, signal: ReplySignal | None, objections: list[HiddenObjection],
               cfg: PolicyConfig, rng: random.Random, just_resolved: bool = False) -> Act:
    """Pick the next act and the reactions said before it. The reactions read the reply (question asked, offer
    made, off-topic, an order to the customer); the act reads the state, and the state reads the reactions:
    an answered question is a revealed fact, an accepted trial is a next step, off-topic talk costs patience."""
    if signal is None:
        return _act(state, None, objections, cfg, rng, just_resolved, [])
    off_topic = signal.is_off_topic
    reactions = react(signal.move, off_topic, signal.score, state, cfg.persona, cfg.facts,
                      random.Random(f"{rng.random()}:react"))
    accepted = [r.offer for r in reactions if r.kind == "offer" and r.stance == "accept_condition"]
    if any(offer in NEXT_STEP_OFFERS for offer in accepted):
        state.asked_for_next_step = True
        if not pressed_now(signal):  # the customer has just agreed to something concrete
            state.trust = min(1.0, state.trust + 0.05)
    elif any(r.kind == "offer" and r.stance == "reject" for r in reactions):
        state.trust = max(0.0, state.trust - 0.02)
    act = _act(state, signal, objections, cfg, rng, just_resolved, reactions)
    if act.kind == "drop_objection":  # convinced by the reply: no new front against the vendor in use
        settled = "verify" if signal.move.cost_shown else "ask_numbers"
        reactions = [r.model_copy(update={"stance": settled}) if r.kind == "cost" and r.stance == "compare" else r
                     for r in reactions]
        state.cost_stance = next((r.stance for r in reactions if r.kind == "cost" and r.stance != "repeat"),
                                 state.cost_stance)
    if act.kind == "end_call":  # a customer who hangs up accepts nothing on the way out
        reactions = [r.model_copy(update={"stance": "reject"}) if r.stance == "accept_condition" else r
                     for r in reactions]
        state.offers.update({r.offer: r.stance for r in reactions if r.kind == "offer" and r.offer and
                             r.stance != "repeat"})
    for reaction in reactions:
        if reaction.kind == "answer" and reaction.fact and reaction.fact not in state.revealed:
            state.revealed.append(reaction.fact)
    if not reactions or (len(reactions) == 1 and reactions[0].kind == "offer"):
        # hold the rep to an earlier promise when nothing else was asked (or after a short stance on an offer)
        again = recall(state, act.kind, random.Random(f"{state.turn}:{len(state.claims)}:recall"), signal.move.claims)
        reactions = [*reactions, again] if again else reactions
    return act.model_copy(update={"reactions": reactions})


def _act(state: CustomerState, signal: ReplySignal | None, objections: list[HiddenObjection],
         cfg: PolicyConfig, rng: random.Random, just_resolved: bool, reactions: list) -> Act:
    """The act itself. Order matters and is the policy: patience, limits, the open objection, new objections
    whose trigger fires, then the goal (next step), then small moves."""
    unrevealed = [f for f in cfg.facts if f not in state.revealed]
    off_topic = signal is not None and signal.is_off_topic
    answered = next((r.fact for r in reactions if r.kind == "answer" and r.fact), None)
    accepted_step = any(r.kind == "offer" and r.stance == "accept_condition" and r.offer in NEXT_STEP_OFFERS
                        for r in reactions)
    pushed = pressed_now(signal)  # pressure alone never wins an agreement or a buying signal
    if signal is not None and state.patience <= 0.0:
        return Act(kind="end_call", reason="patience ran out")
    if off_topic and state.off_topic_run >= cfg.off_topic_limit:
        state.patience = 0.0
        return Act(kind="end_call", reason="patience ran out: the talk kept drifting off topic")
    if signal is not None and state.turn >= cfg.max_turns:
        # a settled customer takes a next step on the last turn (never because it was pushed to)
        if not state.active and not state.pending and (signal.advances or accepted_step) \
                and state.trust >= cfg.agree_trust and not pushed:
            state.next_step_agreed = True
            return Act(kind="agree_next_step", reason="last turn: every concern settled and a next step proposed")
        return Act(kind="end_call", reason="maximum turns reached")
    if just_resolved and state.last_act is not None:
        return Act(kind="drop_objection", objection=state.last_act.objection, reason="handled well enough")
    if answered:
        return Act(kind="reveal_fact", objection=state.active, fact=answered, reason="a question was asked and trust allows")
    if state.active:
        presses = state.presses.get(state.active, 0)
        fact = FACT_FOR_OBJECTION.get(state.active)
        asked = bool(reactions) and reactions[0].kind in {"answer", "evade"}
        if signal is not None and signal.clarifies and not off_topic and not asked and fact in unrevealed \
                and signal.score >= 35:
            return Act(kind="reveal_fact", objection=state.active, fact=fact, reason="a good question was asked")
        if presses >= cfg.max_presses and state.trust < 0.25 and not accepted_step:
            return Act(kind="end_call", objection=state.active, reason="objection never handled")
        intensity = min(1.0, 0.4 + 0.2 * presses + (0.2 if state.active in state.escalated else 0))
        return Act(kind="press_objection", objection=state.active, intensity=intensity, reason="handled poorly")
    by_type = {o.type: o for o in objections}
    for pending in list(state.pending):
        objection = by_type.get(pending, HiddenObjection(pending))
        after_drop = state.last_act is not None and state.last_act.kind == "drop_objection"
        if trigger_fires(objection.trigger, state, signal) or not after_drop:
            state.pending.remove(pending)
            state.raised.append(pending)
            state.active = pending
            return Act(kind="raise_objection", objection=pending, intensity=objection.severity,
                       reason=f"hidden objection ({objection.trigger})")
    if signal is not None and (signal.advances or accepted_step):
        if pushed:
            return Act(kind="stall", reason="pushed to close: pressure is no reason to decide")
        if state.trust >= cfg.agree_trust:
            state.next_step_agreed = True
            return Act(kind="agree_next_step", reason="trust high enough and a next step proposed")
        return Act(kind="stall", reason="next step proposed before trust was earned")
    if pushed:
        return Act(kind="stall", reason="pushed to close: pressure is no reason to decide")
    if state.trust >= cfg.buying_trust and not off_topic:
        return Act(kind="buying_signal", reason="trust is high")
    if signal is not None and signal.clarifies and unrevealed and not off_topic and not reactions:
        return Act(kind="reveal_fact", fact=rng.choice(unrevealed), reason="a question was asked")
    return Act(kind=rng.choice(["ask_question", "ask_question", "stall"]), reason="waiting to be convinced")
