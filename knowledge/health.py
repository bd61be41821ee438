"""Named health checks that `coach doctor` runs, each able to repair what it finds.

A check is a function ``fn(repair: bool) -> CheckResult``, registered under a name. Built-in checks live in the
modules listed in ``CHECK_MODULES`` (imported on first use, so any layer can add one without this module
importing upward): to add e.g. an LLM-endpoint check, write ``register_check("LLM endpoint", fn)`` in a module
and append that module's name to ``CHECK_MODULES`` (modules in knowledge) or to ``UPPER_CHECK_MODULES`` in
``ui/cli/doctor.py`` (modules in coach or ui, which knowledge must not import).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

CHECK_MODULES = ["knowledge.index.health", "knowledge.understanding.twin.doctor_check", "coach.llm.doctor_check"]


@dataclass
class CheckResult:
    """What one check found: ``ok`` after any repair; ``detail`` is one line for a person; ``hint`` says what to do."""

    name: str
    ok: bool
    detail: str
    repaired: bool = False
    hint: str = ""


Check = Callable[[bool], CheckResult]
_CHECKS: dict[str, Check] = {}


def register_check(name: str, fn: Check | None = None):
    """Register ``fn`` under ``name`` (usable as ``@register_check("name")`` too); checks run in this order."""
    def wrap(check: Check) -> Check:
        _CHECKS[name] = check
        return check
    return wrap(fn) if fn is not None else wrap


def checks() -> dict[str, Check]:
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return dict(_CHECKS)


def run_checks(repair: bool = False, only: list[str] | None = None) -> list[CheckResult]:
    """Run every registered check (or those named in ``only``); a check that raises is reported, never re-raised."""
    results = []
    for name, check in checks().items():
        if only and name not in only:
            continue
        try:
            results.append(check(repair))
        except Exception as exc:  # one broken check must not hide the others' findings
            results.append(CheckResult(name, False, f"the check itself failed ({exc.__class__.__name__}: {exc})"))
    return results
