"""Skill gates (能力关卡) as data: coach/data/gates.yaml, validated into pydantic models on load.

Every problem is reported as ``file line N: field 'x': what to do``, like scenario files.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coach.progression.criteria import CRITERIA
from knowledge.yaml_lines import compose, line_of, safe_load
from personas.pools import Localized

CriterionSpec = Annotated[Union[tuple(CRITERIA.values())], Field(discriminator="kind")]  # noqa: UP007


class GateError(ValueError):
    """The gates file is invalid; the message names file, line and field."""


class Unlocks(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pools: list[str] = Field(default_factory=list)
    scenarios: list[str] = Field(default_factory=list)

    @field_validator("pools")
    @classmethod
    def _pools(cls, value: list[str]) -> list[str]:
        from personas import get_pool

        for pool in value:
            get_pool(pool)
        return value


class Gate(BaseModel):
    """One gate: all criteria met (and prerequisites passed, and a sign-off when asked) opens its unlocks."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")
    title: Localized
    description: Localized
    requires: list[str] = Field(default_factory=list, description="gates that must pass first")
    criteria: list[CriterionSpec] = Field(min_length=1)
    unlocks: Unlocks = Field(default_factory=Unlocks)
    signoff: bool = Field(default=False, description="a mentor must sign the gate off before it opens")
    review_unsure: bool = Field(default=True, description="a pass that holds only with grades the grader marked "
                                "unsure waits for a mentor (who overrides those grades or signs the gate off)")


class GateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gates: list[Gate] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> GateFile:
        ids = [g.id for g in self.gates]
        seen: set[str] = set()
        for gate in self.gates:
            if gate.id in seen:
                raise ValueError(f"duplicate gate id {gate.id!r}; give each gate its own id")
            seen.add(gate.id)
        for gate in self.gates:
            for req in gate.requires:
                if req not in ids:
                    raise ValueError(f"gate {gate.id!r} requires unknown gate {req!r}; known: {', '.join(ids)}")
                if ids.index(req) >= ids.index(gate.id):
                    raise ValueError(f"gate {gate.id!r} requires {req!r}, which must be listed before it")
        return self


def gates_path() -> Path:
    return Path(str(resources.files("coach") / "data" / "gates.yaml"))


def parse_gates(text: str, source: str = "gates.yaml") -> GateFile:
    """Validate gates YAML, or raise GateError naming the file, line and field."""
    try:
        root = compose(text)
        data = safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise GateError(f"{source} line {mark.line + 1 if mark else 1}: YAML syntax error: {exc.problem}; "
                        "fix the indentation or quoting") from exc
    if not isinstance(data, dict) or root is None:
        raise GateError(f"{source} line 1: the file must be a mapping with a 'gates:' list")
    try:
        gate_file = GateFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in CRITERIA))
            field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                message = f"required field is missing; add '{loc[-1]}:'"
            elif err["type"] == "extra_forbidden":
                message = "unknown key; check the spelling (see the comments at the top of gates.yaml)"
            elif err["type"] == "union_tag_invalid":
                message = f"unknown criterion kind; use one of {', '.join(CRITERIA)}"
            lines.append(f"{source} line {line_of(root, loc, skip_missing=True)}: field '{field}': {message}")
        raise GateError("\n".join(lines)) from exc
    _check_scenarios(gate_file, root, source)
    return gate_file


def _check_scenarios(gate_file: GateFile, root: yaml.Node, source: str) -> None:
    """Scenario ids named by a gate must exist in the shipped library (a typo would lock nothing)."""
    from scenarios import load_library

    known = set(load_library())
    problems = []
    for g, gate in enumerate(gate_file.gates):
        for s, sid in enumerate(gate.unlocks.scenarios):
            if sid not in known:
                loc = ("gates", g, "unlocks", "scenarios", s)
                problems.append(f"{source} line {line_of(root, loc, skip_missing=True)}: field 'gates[{g}].unlocks.scenarios[{s}]': "
                                f"unknown scenario {sid!r}; see `coach scenario list`")
        for c, crit in enumerate(gate.criteria):
            for s, sid in enumerate(crit.scenarios):
                if sid not in known:
                    loc = ("gates", g, "criteria", c, "scenarios", s)
                    problems.append(f"{source} line {line_of(root, loc, skip_missing=True)}: field 'gates[{g}].criteria[{c}].scenarios"
                                    f"[{s}]': unknown scenario {sid!r}; see `coach scenario list`")
    if problems:
        raise GateError("\n".join(problems))


def load_gate_file(path: str | Path) -> GateFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GateError(f"{path} line 1: cannot read the file ({exc}); check the path") from exc
    return parse_gates(text, str(path))


@lru_cache(maxsize=1)
def load_gates() -> tuple[Gate, ...]:
    """The shipped gates in file order (prerequisites first)."""
    return tuple(load_gate_file(gates_path()).gates)


def get_gate(gate_id: str) -> Gate:
    for gate in load_gates():
        if gate.id == gate_id:
            return gate
    raise KeyError(f"unknown gate {gate_id!r}; known gates: {', '.join(g.id for g in load_gates())}")
