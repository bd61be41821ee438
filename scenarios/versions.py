"""Publishing and looking up scenario versions.

Publishing validates first (a bad file stores nothing), then stores a new ScenarioVersion only when
the meaning changed (content hash). Sessions record the version they were played on, and
``get_scenario(id, version)`` gives that exact version back, so old scores stay interpretable.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlmodel import select

from knowledge.db import session
from scenarios.library import library_text, load_library
from scenarios.loader import parse_scenario
from scenarios.schema import Scenario
from scenarios.tables import ScenarioVersion

_NO_TABLE = (OperationalError, ProgrammingError)


class ScenarioNotFound(LookupError):
    """No stored or shipped scenario has this id (or version)."""


def _rows(scenario_id: str | None = None) -> list[ScenarioVersion]:
    try:
        with session() as db:
            query = select(ScenarioVersion)
            if scenario_id is not None:
                query = query.where(ScenarioVersion.scenario_id == scenario_id)
            return list(db.exec(query.order_by(ScenarioVersion.scenario_id, ScenarioVersion.version)).all())
    except _NO_TABLE:  # database not migrated yet: only the shipped library exists
        return []


def _from_row(row: ScenarioVersion) -> Scenario:
    return _parsed(row.yaml_text, row.scenario_id, row.version).model_copy()


@lru_cache(maxsize=1024)
def _parsed(yaml_text: str, scenario_id: str, version: int) -> Scenario:
    """A stored version never changes, so parse it once: list_scenarios re-parsed every version's YAML on each
    call (~0.75 s per session start with the 35 shipped scenarios, measured), and progression calls it per start."""
    scenario = parse_scenario(yaml_text, f"{scenario_id} v{version}")
    return scenario.model_copy(update={"version": version})


def publish_scenario(yaml_text: str, published_by: str = "system", source: str = "<published>") -> ScenarioVersion:
    """Store ``yaml_text`` as the scenario's next version, or return the current one if nothing changed.

    Raises ScenarioError (naming ``source``, line and field) before touching the database.
    """
    scenario = parse_scenario(yaml_text, source)
    digest = scenario.content_hash()
    rows = _rows(scenario.id)
    if rows and rows[-1].content_hash == digest:
        return rows[-1]
    shipped = load_library().get(scenario.id)
    if not rows and shipped is not None and shipped.content_hash() == digest:
        version = shipped.version  # registering the shipped text keeps its number
    else:
        version = max([r.version for r in rows] + [shipped.version if shipped else 0]) + 1
    row = ScenarioVersion(
        scenario_id=scenario.id, version=version, title=scenario.title,
        yaml_text=stamp_version(yaml_text, version), content_hash=digest, published_by=published_by,
        published_at=datetime.now(UTC),  # explicit and aware: sqlmodel>=0.0.50 rejects naive datetimes
    )
    try:
        with session() as db:
            db.add(row)
            db.commit()
            db.refresh(row)
    except IntegrityError as exc:
        raise ValueError(f"scenario {scenario.id!r} v{version} was published by someone else just now; retry") from exc
    return row


def sync_library(published_by: str = "system") -> list[ScenarioVersion]:
    """Register every shipped scenario as a stored version; returns only the versions stored by this call
    (an unchanged library stores nothing, so `coach init` reports nothing as published twice)."""
    before = {(r.scenario_id, r.version) for r in _rows()}
    rows = [publish_scenario(library_text(sid), published_by, f"library/{sid}.yaml") for sid in load_library()]
    return [r for r in rows if (r.scenario_id, r.version) not in before]


def get_scenario(scenario_id: str, version: int | None = None) -> Scenario:
    """The newest version (stored first, then shipped), or exactly ``version`` when given."""
    rows = _rows(scenario_id)
    if version is not None:
        rows = [r for r in rows if r.version == version]
    if rows:
        return _from_row(rows[-1])
    shipped = load_library().get(scenario_id)
    if shipped is not None and (version is None or version == shipped.version):
        return shipped
    known = sorted(set(load_library()) | {r.scenario_id for r in _rows()})
    wanted = f"{scenario_id!r} version {version}" if version is not None else repr(scenario_id)
    raise ScenarioNotFound(f"no scenario {wanted}; known scenarios: {', '.join(known)} (see `coach scenario list`)")


def list_scenarios() -> list[Scenario]:
    """The newest version of every scenario, shipped and published, sorted by id."""
    newest: dict[str, Scenario] = dict(load_library())
    latest_rows: dict[str, ScenarioVersion] = {}
    for row in _rows():
        latest_rows[row.scenario_id] = row
    for sid, row in latest_rows.items():
        newest[sid] = _from_row(row)
    return [newest[sid] for sid in sorted(newest)]


def scenario_history(scenario_id: str) -> list[ScenarioVersion]:
    """Every stored version of one scenario, oldest first."""
    return _rows(scenario_id)


_VERSION_LINE = re.compile(r"^version:[^\n]*$", re.M)


def stamp_version(yaml_text: str, version: int) -> str:
    """The YAML with its top-level ``version:`` line (when it has one) set to the stored number.

    The number is assigned on publish, so a trainer's text saying ``version: 1`` would otherwise be shown
    back as v1 after v3 was stored; the content hash ignores the version, so stamping changes no meaning."""
    return _VERSION_LINE.sub(f"version: {int(version)}", yaml_text, count=1)


def version_text(scenario_id: str, version: int | None = None) -> tuple[int, str]:
    """(version, YAML) of one stored version (newest when ``version`` is None), else the shipped file."""
    rows = [r for r in _rows(scenario_id) if version is None or r.version == version]
    if rows:
        return rows[-1].version, stamp_version(rows[-1].yaml_text, rows[-1].version)
    shipped = load_library().get(scenario_id)
    if shipped is not None and (version is None or version == shipped.version):
        return shipped.version, stamp_version(library_text(scenario_id), shipped.version)
    get_scenario(scenario_id, version)  # raises ScenarioNotFound with the known ids
    raise ScenarioNotFound(f"no scenario {scenario_id!r} version {version}")


def version_diff(scenario_id: str, old: int, new: int) -> list[str]:
    """Unified-diff lines from ``old`` to ``new`` (either order), headed ``<id> vN``; empty when equal."""
    _, before = version_text(scenario_id, old)
    _, after = version_text(scenario_id, new)
    return list(difflib.unified_diff(before.splitlines(), after.splitlines(), f"{scenario_id} v{old}",
                                     f"{scenario_id} v{new}", lineterm=""))
