"""Parse scenario YAML into a Scenario, with every problem reported as ``file line N: field 'x': what to do``.

The YAML is composed into nodes first so each error points at the line the trainer has to edit.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.yaml_lines import YamlTooBig, compose, line_of, safe_load
from personas import get_pool
from scenarios.schema import Scenario

MAX_SCENARIO_CHARS = 200_000  # scenario files are a few KB; anything this big is a mistake or an attack
MAX_ALIASES = 50  # blocks "billion laughs" alias bombs, which validation would expand
MAX_DEPTH = 20


@dataclass(frozen=True)
class Issue:
    """One problem in one scenario file."""

    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source} line {self.line}"
        return f"{where}: field '{self.field}': {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """A scenario file is invalid; ``issues`` lists every problem found, one line each."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _check_shape(text: str, source: str) -> None:
    """Refuse alias bombs and absurd nesting from the event stream, before anything is built from them."""
    aliases = depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ScenarioError([Issue(source, event.start_mark.line + 1, "", f"more than {MAX_ALIASES} YAML "
                                           "aliases (*name); write the values out instead")])
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError([Issue(source, event.start_mark.line + 1, "", f"YAML nested more than {MAX_DEPTH} "
                                           "levels deep; a scenario is a shallow mapping")])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate YAML text into a Scenario or raise ScenarioError naming file, line and field."""
    if len(text) > MAX_SCENARIO_CHARS:
        raise ScenarioError([Issue(source, 1, "", f"the file has {len(text)} characters; a scenario is at most "
                                   f"{MAX_SCENARIO_CHARS} (is this the right file?)")])
    try:
        _check_shape(text, source)
        root = compose(text)
        data = safe_load(text)
    except YamlTooBig as exc:
        raise ScenarioError([Issue(source, exc.problem_mark.line + 1, "", exc.problem)]) from None
    except RecursionError:
        raise ScenarioError([Issue(source, 1, "", "YAML nested too deeply; a scenario is a flat mapping")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        started = ""
        if exc.context_mark is not None and exc.context_mark.line + 1 != line:
            started = f" ({exc.context} at line {exc.context_mark.line + 1})"
        message = f"YAML syntax error: {exc.problem or exc}{started}; fix the indentation, brackets or quoting"
        raise ScenarioError([Issue(source, line, "", message)]) from exc
    except yaml.YAMLError as exc:  # e.g. a NUL or control character: the reader refuses it before parsing
        raise ScenarioError([Issue(source, 1, "", f"not a readable YAML text ({str(exc).splitlines()[0]}); "
                                   "save it as plain UTF-8 text")]) from exc
    if not isinstance(data, dict) or root is None:
        raise ScenarioError([Issue(source, 1, "", "a scenario file must be a YAML mapping (id: ..., title: ...)")])
    issues = _duplicate_keys(root, source)
    if issues:
        raise ScenarioError(issues)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        # missing fields last: an unknown key (a typo) usually explains the missing one
        errors = sorted(exc.errors(), key=lambda e: e["type"] == "missing")
        raise ScenarioError([_issue(err, root, source) for err in errors]) from exc
    issues = _pool_fit(scenario, root, source)
    if issues:
        raise ScenarioError(issues)
    return scenario


def load_scenario_file(path: str | Path) -> Scenario:
    """Read and validate one scenario file; a missing or unreadable file is reported like any other error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Issue(str(path), 1, "", f"cannot read the file ({exc}); check the path")]) from exc
    return parse_scenario(text, str(path))


def validate_files(paths: Iterable[str | Path]) -> tuple[list[Scenario], list[Issue]]:
    """Validate several files together, also catching two files that use the same scenario id."""
    scenarios, issues, first_seen = [], [], {}
    for path in paths:
        try:
            scenario = load_scenario_file(path)
        except ScenarioError as exc:
            issues.extend(exc.issues)
            continue
        if scenario.id in first_seen:
            line = line_of(yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader), ("id",))
            issues.append(Issue(str(path), line, "id", f"duplicate id {scenario.id!r} (also in {first_seen[scenario.id]}); give each scenario its own id"))
            continue
        first_seen[scenario.id] = str(path)
        scenarios.append(scenario)
    return scenarios, issues


def _duplicate_keys(node: yaml.Node, source: str, path: str = "") -> list[Issue]:
    issues: list[Issue] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = f"{path}.{key.value}" if path else str(key.value)
            if key.value in seen:
                issues.append(Issue(source, key.start_mark.line + 1, name, "duplicate key; keep only one"))
            seen.add(key.value)
            issues += _duplicate_keys(value, source, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            issues += _duplicate_keys(item, source, f"{path}[{index}]")
    return issues


def _field_name(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: type[BaseModel] = Scenario
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *typing.get_args(annotation)]
        nested = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if nested is None:
            return None
        model = nested
    return model


def _issue(err: dict, root: yaml.Node, source: str) -> Issue:
    loc = tuple(err["loc"])
    line, field = line_of(root, loc), _field_name(loc)
    kind, message = err["type"], err["msg"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        message = f"unknown key; {hint}allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        message = f"required field is missing; add '{loc[-1]}:'"
    elif kind == "value_error":
        message = message.removeprefix("Value error, ")
    else:
        message = f"{message} (got {err.get('input')!r})"
    return Issue(source, line, field, message)


def _pool_fit(scenario: Scenario, root: yaml.Node, source: str) -> list[Issue]:
    """Persona constraints that the pool can never satisfy (e.g. segment ka in the individual pool)."""
    pool = get_pool(scenario.pool)
    issues = []
    for attr in ("segment", "industry"):
        wanted, offered = getattr(scenario.persona, attr), getattr(pool.filter, attr)
        if wanted and offered and not set(wanted) & set(offered):
            issues.append(Issue(
                source, line_of(root, ("persona", attr)), f"persona.{attr}",
                f"pool {pool.id!r} only has {attr} {', '.join(offered)}; pick a matching pool or {attr}",
            ))
    return issues
