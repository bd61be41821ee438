"""The scenarios shipped with the package (scenarios/library/<id>.yaml), validated as a set."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from scenarios.loader import Issue, ScenarioError, validate_files
from scenarios.schema import Scenario


def library_files() -> list[Path]:
    folder = Path(str(resources.files("scenarios") / "library"))
    return sorted(folder.glob("*.yaml"))


@lru_cache(maxsize=1)
def _library() -> dict[str, tuple[Scenario, str]]:
    files = library_files()
    scenarios, issues = validate_files(files)
    by_stem = {p.stem: p for p in files}
    for scenario in scenarios:
        if scenario.id not in by_stem:
            issues.append(Issue(scenario.id, 1, "id", "a shipped scenario file must be named <id>.yaml"))
    if issues:
        raise ScenarioError(issues)
    return {s.id: (s, by_stem[s.id].read_text(encoding="utf-8")) for s in scenarios}


def load_library() -> dict[str, Scenario]:
    """Shipped scenarios by id; any invalid file or duplicate id fails loudly with its line."""
    return {sid: pair[0] for sid, pair in _library().items()}


def library_text(scenario_id: str) -> str:
    """The YAML text of a shipped scenario (used to register it as a stored version)."""
    return _library()[scenario_id][1]
