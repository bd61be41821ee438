"""Load and validate the generator's template files (YAML package data in ``templates/``).

Each language has four files: ``common``, ``industries``, ``objections`` and ``dialogue``. They are
validated into pydantic models on load, and every ``{slot}`` in every line must be one the generator
fills, so a typo in a template fails at load time with the file and key path, not mid-generation.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.taxonomy import ACTS, DECISION_SIGNALS, INDUSTRIES, OBJECTION_TYPES, SEGMENTS
from knowledge.yaml_lines import safe_load as bounded_yaml

LANGS = ("zh", "en")
CORPUS_INDUSTRIES: tuple[str, ...] = tuple(i for i in INDUSTRIES if i != "insurance")
SLOTS = frozenset({
    "product", "competitor", "vendor", "price", "budget", "role", "month", "weeks", "weekday", "peer",
    "pct", "need", "pain", "value", "next_step", "year_term", "busy", "lead", "lead_clause", "size", "title",
})
ANTI_PATTERN_LINES = (
    "empty_agreement", "discount_without_tradeoff", "disparage_competitor", "over_promise", "ignore_objection",
)

Lines = list[str]


class TemplateError(ValueError):
    """A template file is missing, malformed, or uses an unknown slot."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _non_empty(value: Any) -> Any:
    if isinstance(value, list) and not value:
        raise ValueError("list is empty")
    return value


class LeadSource(_Strict):
    label: str
    clause: str


class Common(_Strict):
    lead_sources: list[LeadSource]
    company_size: dict[str, Lines]
    roles_individual: Lines
    months: Lines
    weekdays: Lines
    year_terms: Lines
    pcts: Lines
    prefixes: Lines
    tails: Lines
    connectors: Lines
    markers: Lines

    @field_validator("company_size")
    @classmethod
    def _segments(cls, value: dict[str, Lines]) -> dict[str, Lines]:
        if set(value) != set(SEGMENTS):
            raise ValueError(f"needs exactly the segments {list(SEGMENTS)}")
        return value


class Industry(_Strict):
    products: Lines
    competitors: Lines
    legacy: Lines
    needs: Lines
    pains: Lines
    value: Lines
    peers: Lines
    questions: Lines
    roles_smb: Lines
    roles_ka: Lines
    titles: dict[str, Lines]
    amount: dict[str, tuple[float, float]]

    @field_validator("titles", "amount")
    @classmethod
    def _segments(cls, value: dict) -> dict:
        if set(value) != set(SEGMENTS):
            raise ValueError(f"needs exactly the segments {list(SEGMENTS)}")
        return value

    @field_validator("products", "competitors", "pains", "value", "peers", "questions")
    @classmethod
    def _filled(cls, value: Lines) -> Lines:
        return _non_empty(value)


def _all_types(value: dict[str, Lines]) -> dict[str, Lines]:
    missing = set(OBJECTION_TYPES) - set(value)
    extra = set(value) - set(OBJECTION_TYPES)
    if missing or extra:
        raise ValueError(f"objection types must be exactly taxonomy.OBJECTION_TYPES (missing {sorted(missing)}, "
                         f"unknown {sorted(extra)})")
    for key, lines in value.items():
        if not lines:
            raise ValueError(f"no lines for '{key}'")
    return value


class Objections(_Strict):
    raise_: dict[str, Lines] = Field(alias="raise")
    press: dict[str, Lines]
    drop: dict[str, Lines]
    busy: Lines

    @field_validator("raise_", "press", "drop")
    @classmethod
    def _types(cls, value: dict[str, Lines]) -> dict[str, Lines]:
        return _all_types(value)


class CustomerLines(_Strict):
    greet: Lines
    greet_tail: Lines
    small_talk: Lines
    reveal_pain: Lines
    reveal_vendor: Lines
    reveal_size: Lines
    signal: dict[str, Lines]
    ask_question: Lines
    buying_signal: Lines
    agree_next_step: Lines
    next_step: Lines
    end_won: Lines
    end_lost: Lines
    stall_final: Lines

    @field_validator("signal")
    @classmethod
    def _signals(cls, value: dict[str, Lines]) -> dict[str, Lines]:
        unknown = set(value) - set(DECISION_SIGNALS)
        if unknown:
            raise ValueError(f"unknown decision signals {sorted(unknown)}; use taxonomy.DECISION_SIGNALS")
        return value


class RepLines(_Strict):
    open: Lines
    small_talk: Lines
    discovery: Lines
    pitch: Lines
    answer: Lines
    ack: Lines
    good: dict[str, Lines]
    advance: Lines
    poor: dict[str, Lines]
    after_reveal: Lines
    propose_next: Lines
    close_won: Lines
    pin_open: Lines
    close_lost: Lines

    @field_validator("good")
    @classmethod
    def _types(cls, value: dict[str, Lines]) -> dict[str, Lines]:
        return _all_types(value)

    @field_validator("poor")
    @classmethod
    def _anti_patterns(cls, value: dict[str, Lines]) -> dict[str, Lines]:
        if set(value) != set(ANTI_PATTERN_LINES):
            raise ValueError(f"needs exactly the anti-patterns {list(ANTI_PATTERN_LINES)}")
        return value


class Decor(_Strict):
    open: Lines
    close: Lines


class Dialogue(_Strict):
    customer: CustomerLines
    other: dict[str, Lines]
    rep: RepLines
    decor: dict[str, Decor]

    @field_validator("decor")
    @classmethod
    def _acts(cls, value: dict[str, Decor]) -> dict[str, Decor]:
        unknown = set(value) - set(ACTS)
        if unknown:
            raise ValueError(f"unknown acts {sorted(unknown)}; use taxonomy.ACTS")
        return value

    @field_validator("other")
    @classmethod
    def _other_keys(cls, value: dict[str, Lines]) -> dict[str, Lines]:
        unknown = set(value) - set(OBJECTION_TYPES) - {"ask"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; use objection type ids or 'ask'")
        return value


class LangPack(BaseModel):
    """Everything the generator needs to write deals in one language."""

    lang: str
    common: Common
    industries: dict[str, Industry]
    objections: Objections
    dialogue: Dialogue


def _strings(node: Any, path: str):
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")


def check_slots(data: Any, filename: str) -> None:
    """Fail with the file and key path when a line uses a slot the generator does not fill."""
    for path, text in _strings(data, ""):
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise TemplateError(f"{filename} {path.lstrip('.')}: bad braces in {text!r}: {exc}") from exc
        unknown = names - SLOTS
        if unknown:
            raise TemplateError(f"{filename} {path.lstrip('.')}: unknown slot(s) {sorted(unknown)} in {text!r}; "
                                f"use one of {sorted(SLOTS)}")


def _read(lang: str, kind: str) -> Any:
    filename = f"{kind}.{lang}.yaml"
    try:
        text = resources.files("evals.corpus").joinpath("templates").joinpath(filename).read_text(encoding="utf-8")
        data = bounded_yaml(text)
    except FileNotFoundError as exc:
        raise TemplateError(f"{filename}: missing from evals/corpus/templates/") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(f"{filename}: not valid YAML: {exc}") from exc
    check_slots(data, filename)
    return filename, data


def _validate(model: type[BaseModel], filename: str, data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise TemplateError(f"{filename}: field '{where}': {err['msg']}") from exc


@cache
def load_pack(lang: str) -> LangPack:
    """The validated templates for ``lang`` ("zh" or "en"); cached, as generation reads them per deal."""
    if lang not in LANGS:
        raise TemplateError(f"unknown language {lang!r}; use one of {list(LANGS)}")
    fn, common = _read(lang, "common")
    common_model = _validate(Common, fn, common)
    fn, industries = _read(lang, "industries")
    if not isinstance(industries, dict) or set(industries) != set(CORPUS_INDUSTRIES):
        got = sorted(industries) if isinstance(industries, dict) else type(industries).__name__
        raise TemplateError(f"{fn}: needs exactly the industries {list(CORPUS_INDUSTRIES)}, got {got}")
    industry_models = {key: _validate(Industry, f"{fn} {key}", value) for key, value in industries.items()}
    fn, objections = _read(lang, "objections")
    objection_model = _validate(Objections, fn, objections)
    fn, dialogue = _read(lang, "dialogue")
    dialogue_model = _validate(Dialogue, fn, dialogue)
    return LangPack(lang=lang, common=common_model, industries=industry_models,
                    objections=objection_model, dialogue=dialogue_model)
