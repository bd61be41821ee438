"""Fallback customer wording (coach/data/customer_lines.yaml), validated on load."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ValidationError, model_validator

from knowledge.taxonomy import ACTS, OBJECTION_TYPES
from knowledge.yaml_lines import safe_load as bounded_yaml


class Bilingual(BaseModel):
    zh: list[str]
    en: list[str]


class ObjectionLines(BaseModel):
    raise_: Bilingual
    press: Bilingual

    model_config = {"populate_by_name": True}

    @model_validator(mode="before")
    @classmethod
    def _rename(cls, data):
        if isinstance(data, dict) and "raise" in data:
            data = {**data, "raise_": data.pop("raise")}
        return data


class LineBank(BaseModel):
    acts: dict[str, Bilingual | dict[str, Bilingual]]
    objections: dict[str, ObjectionLines]

    @model_validator(mode="after")
    def _known_ids(self):
        unknown = [a for a in self.acts if a not in ACTS] + [o for o in self.objections if o not in OBJECTION_TYPES]
        if unknown:
            raise ValueError(f"unknown act or objection ids: {unknown}")
        return self

    def lines(self, kind: str, lang: str, objection: str | None = None, fact: str | None = None) -> list[str]:
        lang = "en" if lang == "en" else "zh"
        if kind in {"raise_objection", "press_objection"} and objection in self.objections:
            pair = self.objections[objection]
            return list(getattr(pair.raise_ if kind == "raise_objection" else pair.press, lang))
        entry = self.acts.get(kind)
        if isinstance(entry, dict):
            entry = entry.get(fact or "") or next(iter(entry.values()))
        return list(getattr(entry, lang)) if entry else []


@lru_cache(maxsize=1)
def load_line_bank() -> LineBank:
    path = resources.files("coach.data") / "customer_lines.yaml"
    try:
        return LineBank.model_validate(bounded_yaml(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid customer line bank: {exc}") from exc
