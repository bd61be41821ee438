"""The canonical deal record every importer produces and every later layer reads."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from knowledge.taxonomy import Lang, Outcome, Speaker

MAX_TURN_CHARS = 8000  # ~20 minutes of speech; longer is a pasted document, and one would stall tagging and search


class Turn(BaseModel):
    speaker: Speaker
    text: str
    ts: datetime | None = None
    objections: list[str] = Field(default_factory=list, description="filled by tagging")
    signals: list[str] = Field(default_factory=list, description="filled by tagging")
    act: str | None = Field(default=None, description="customer dialogue act when known (see taxonomy.ACTS)")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("turn text is empty")
        if len(value) > MAX_TURN_CHARS:
            raise ValueError(f"turn text has {len(value):,} characters, more than the {MAX_TURN_CHARS:,} a turn may "
                             "have; split the message or leave pasted documents out")
        return value


class DealRecord(BaseModel):
    """One past deal: who the customer was, how it went, and the conversation."""

    deal_id: str
    lang: Lang = "zh"
    industry: str = "unknown"
    segment: str = "smb"  # individual | smb | ka
    lead_source: str | None = None
    core_need: str | None = None
    products: list[str] = Field(default_factory=list)
    amount: float | None = None
    currency: str = "CNY"
    outcome: Outcome = "open"
    cycle_days: int | None = None
    competitors: list[str] = Field(default_factory=list)
    decision_chain: list[str] = Field(default_factory=list)
    customer_title: str | None = None
    company_size: str | None = None
    turns: list[Turn]

    @field_validator("turns")
    @classmethod
    def _has_turns(cls, value: list[Turn]) -> list[Turn]:
        if not value:
            raise ValueError("a deal needs at least one turn")
        return value

    def content_hash(self) -> str:
        """Stable fingerprint so re-ingesting the same record adds nothing."""
        payload = self.model_dump(mode="json", exclude={"turns": {"__all__": {"objections", "signals", "act"}}})
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
