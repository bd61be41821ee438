"""Scenarios: trainer-authored, validated, versioned practice set-ups (YAML package data)."""

from scenarios.library import library_files, load_library
from scenarios.loader import Issue, ScenarioError, load_scenario_file, parse_scenario, validate_files
from scenarios.schema import GOALS, Scenario
from scenarios.versions import (
    ScenarioNotFound,
    get_scenario,
    list_scenarios,
    publish_scenario,
    scenario_history,
    stamp_version,
    sync_library,
    version_diff,
    version_text,
)

__all__ = [
    "GOALS", "Scenario", "Issue", "ScenarioError", "ScenarioNotFound",
    "parse_scenario", "load_scenario_file", "validate_files", "library_files", "load_library",
    "publish_scenario", "get_scenario", "list_scenarios", "scenario_history", "sync_library",
    "stamp_version", "version_diff", "version_text",
]
