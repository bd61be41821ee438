"""Labelled retrieval queries: loaded from queries.yaml and validated; relevance is a metadata rule."""

from __future__ import annotations

from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from knowledge.index.docs import METADATA_FIELDS, normalise_filters
from knowledge.taxonomy import DECISION_SIGNALS, NO_OBJECTION, OBJECTION_TYPES
from knowledge.yaml_lines import safe_load as bounded_yaml

RULE_FIELDS = (*METADATA_FIELDS, "signal")


class LabelledQuery(BaseModel):
    id: str
    lang: Literal["zh", "en"]
    text: str
    relevant: dict[str, str | list[str]]
    filters: dict = Field(default_factory=dict)

    @field_validator("relevant")
    @classmethod
    def _known(cls, rule: dict) -> dict:
        for key, value in rule.items():
            if key not in RULE_FIELDS:
                raise ValueError(f"relevance field {key!r} is not one of {', '.join(RULE_FIELDS)}")
            values = value if isinstance(value, list) else [value]
            if key == "objection" and not set(values) <= {*OBJECTION_TYPES, NO_OBJECTION}:
                raise ValueError(f"unknown objection type in {values}; use taxonomy.OBJECTION_TYPES")
            if key == "signal" and not set(values) <= set(DECISION_SIGNALS):
                raise ValueError(f"unknown decision signal in {values}; use taxonomy.DECISION_SIGNALS")
        return rule

    @field_validator("filters")
    @classmethod
    def _filters(cls, filters: dict) -> dict:
        normalise_filters(filters)  # raises on unknown fields
        return filters

    def is_relevant(self, metadata: dict) -> bool:
        for key, value in self.relevant.items():
            values = value if isinstance(value, list) else [value]
            if key == "signal":
                if not set(values) & set(str(metadata.get("signals", "")).split(",")):
                    return False
            elif metadata.get(key) not in values:
                return False
        return True


def load_queries(text: str | None = None) -> list[LabelledQuery]:
    """The shipped queries (or ``text``), validated; errors name the query number and field."""
    source = "evals/retrieval/queries.yaml"
    if text is None:
        text = resources.files("evals.retrieval").joinpath("queries.yaml").read_text(encoding="utf-8")
    items = (bounded_yaml(text) or {}).get("queries", [])
    out = []
    for number, item in enumerate(items, start=1):
        try:
            out.append(LabelledQuery.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ValueError(f"{source} query {number} ({item.get('id', '?')}): field '{field}': {err['msg']}") from exc
    ids = [q.id for q in out]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{source}: duplicate query ids {sorted({i for i in ids if ids.count(i) > 1})}")
    return out
