"""The indexed unit: one turn of one deal, with the metadata retrieval filters and live hints need."""

from __future__ import annotations

from pydantic import BaseModel

from knowledge.records import DealRecord
from knowledge.taxonomy import NO_OBJECTION

METADATA_FIELDS = (
    "deal_id", "turn_idx", "speaker", "lang", "industry", "segment", "outcome", "objection", "act", "signals",
    "next_rep",
)


class TurnDoc(BaseModel):
    """One turn as stored in both indexes; metadata values are str/int so every vector store accepts them."""

    doc_id: str
    deal_id: str
    turn_idx: int
    text: str
    metadata: dict[str, str | int]


def doc_id(deal_id: str, turn_idx: int) -> str:
    return f"{deal_id}#{turn_idx}"


def turn_docs(record: DealRecord) -> list[TurnDoc]:
    """Every turn of a deal as a TurnDoc; customer turns carry ``next_rep``, the rep's next line."""
    docs = []
    for idx, turn in enumerate(record.turns):
        next_rep = ""
        if turn.speaker == "customer":
            next_rep = next((t.text for t in record.turns[idx + 1:] if t.speaker == "rep"), "")
        meta: dict[str, str | int] = {
            "deal_id": record.deal_id,
            "turn_idx": idx,
            "speaker": turn.speaker,
            "lang": record.lang,
            "industry": record.industry,
            "segment": record.segment,
            "outcome": record.outcome,
            "objection": turn.objections[0] if turn.objections else NO_OBJECTION,
            "act": turn.act or "none",
            "signals": ",".join(turn.signals),
            "next_rep": next_rep,
        }
        docs.append(TurnDoc(doc_id=doc_id(record.deal_id, idx), deal_id=record.deal_id, turn_idx=idx,
                            text=turn.text, metadata=meta))
    return docs


def normalise_filters(filters: dict | None) -> dict[str, list]:
    """``{"industry": "saas", "objection": {"$in": [...]}}`` → field → allowed values; rejects unknown fields."""
    out: dict[str, list] = {}
    for key, value in (filters or {}).items():
        if key not in METADATA_FIELDS:
            raise ValueError(f"filter field {key!r} is not indexed; use one of: {', '.join(METADATA_FIELDS)}")
        if isinstance(value, dict):
            if set(value) != {"$in"}:
                raise ValueError(f"filter {key!r}: only equality or {{'$in': [...]}} are supported")
            value = value["$in"]
        out[key] = list(value) if isinstance(value, list | tuple | set) else [value]
    return out


def matches(metadata: dict, allowed: dict[str, list]) -> bool:
    return all(metadata.get(key) in values for key, values in allowed.items())
