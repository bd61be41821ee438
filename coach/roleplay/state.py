"""What the simulated customer feels and knows, updated after every trainee reply."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Reaction(BaseModel):
    """How the customer first responds to what the rep just did, before the act: answer the question asked,
    take a stance on the offer made, pull the talk back to business, hold the rep to an earlier promise, push back
    on pressure to close, stand up for the vendor in use, weigh a cost argument."""

    kind: str  # answer | evade | offer | pull_back | ignore_instruction | recall | push_back | defend_vendor | cost
    topic: str | None = None  # the question topic answered or evaded (rep_moves.QUESTION_TOPICS)
    offer: str | None = None  # the offer reacted to (rep_moves.OFFERS)
    stance: str | None = None  # offer: accept_condition | ask_details | reject | compare (| repeat)
    # defend_vendor: defend | sceptic | brag; cost: ask_numbers | compare | verify | accept_condition | repeat
    fact: str | None = None  # the persona fact an answer reveals
    claim: str | None = None  # the rep's own earlier words a recall quotes
    level: int = 0  # impatience: off-topic replies in a row; for push_back / defend_vendor, how often before


class Act(BaseModel):
    """One customer move chosen by the policy; a realizer turns it into words."""

    kind: str  # one of knowledge.taxonomy.ACTS
    objection: str | None = None
    fact: str | None = None  # key of a persona fact to reveal
    intensity: float = 0.5
    reason: str = ""  # why the policy chose it: shown in previews and reviews
    reactions: list[Reaction] = Field(default_factory=list)  # what the customer says first, in reply to the rep


class CustomerState(BaseModel):
    """Trust and patience in [0, 1], the objections raised / resolved / escalated, what was revealed."""

    turn: int = 0
    trust: float = 0.4
    patience: float = 1.0
    active: str | None = None
    pending: list[str] = Field(default_factory=list)  # hidden objections not raised yet, in order
    raised: list[str] = Field(default_factory=list)
    resolved: list[str] = Field(default_factory=list)
    escalated: list[str] = Field(default_factory=list)
    presses: dict[str, int] = Field(default_factory=dict)
    progress: dict[str, float] = Field(default_factory=dict)  # how far each open objection has been handled
    revealed: list[str] = Field(default_factory=list)  # persona facts the trainee has learned
    used_lines: list[str] = Field(default_factory=list)  # fingerprints, so the customer does not repeat
    next_step_agreed: bool = False
    asked_for_next_step: bool = False
    ended: bool = False
    end_reason: str | None = None
    last_act: Act | None = None
    # what the customer remembers of the conversation (read by the policy and the realizer)
    rep_topics: list[str] = Field(default_factory=list)  # topics/offers the rep has covered: not asked again
    claims: list[str] = Field(default_factory=list)  # the rep's concrete promises, verbatim
    recalled: list[str] = Field(default_factory=list)  # promises the customer has already held the rep to
    offers: dict[str, str] = Field(default_factory=dict)  # offer -> the stance the customer took
    answered: list[str] = Field(default_factory=list)  # question topics the customer has answered
    off_topic_run: int = 0  # off-topic replies in a row
    pressured: int = 0  # replies that pushed the customer to close now
    put_downs: int = 0  # replies that ran down the vendor in use (or rivals in general)
    cost_stance: str | None = None  # how the customer took the rep's cost argument, once made

    @property
    def outcome(self) -> str:
        if self.next_step_agreed:
            return "next_step_agreed"
        if self.end_reason == "patience":
            return "customer_ended"
        return "open" if not self.ended else (self.end_reason or "ended")
