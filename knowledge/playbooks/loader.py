"""Load playbook YAML into models; errors name the file, the line and the field so a trainer can fix them.

Files starting with ``_`` hold shared cues merged into every playbook. A caller may pass an extra folder
of trainer files: a file there replaces the shipped playbook for the same objection type.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.playbooks.models import AntiPattern, Playbook, SharedGuide, StepGuide
from knowledge.yaml_lines import compose, line_of, safe_load

DATA_DIR = Path(__file__).parent / "data"
SHARED_FILE = DATA_DIR / "_shared.yaml"


class PlaybookError(ValueError):
    """A playbook file that does not validate; the message says where and what to fix."""


def _read(path: Path) -> tuple[dict, yaml.Node | None]:
    text = path.read_text(encoding="utf-8")
    try:
        node = compose(text)
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise PlaybookError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from exc
    if not isinstance(data, dict):
        raise PlaybookError(f"{path} line 1: expected a mapping with 'objection', 'triggers', 'steps', ...")
    return data, node


def _validate(model, path: Path):
    data, node = _read(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = line_of(node, loc)
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise PlaybookError(f"{path} line {line}: field '{field}': {first['msg']}{more}") from exc


@lru_cache(maxsize=1)
def load_shared() -> SharedGuide:
    """Generic step cues and anti-patterns every playbook inherits."""
    return _validate(SharedGuide, SHARED_FILE)


def _merge_shared(playbook: Playbook, shared: SharedGuide) -> Playbook:
    steps: list[StepGuide] = []
    by_id = {s.id: s for s in shared.steps}
    for step in playbook.steps:
        base = by_id.get(step.id)
        if base:
            step = step.model_copy(update={"cues": step.cues.merged(base.cues),
                                           "question_only": step.question_only or base.question_only})
        steps.append(step)
    own = {a.id: a for a in playbook.anti_patterns}
    patterns: list[AntiPattern] = []
    for base in shared.anti_patterns:
        mine = own.pop(base.id, None)
        if mine:
            base = mine.model_copy(update={
                "cues": mine.cues.merged(base.cues), "unless": mine.unless.merged(base.unless),
                "description": mine.description or base.description, "advice": mine.advice or base.advice,
            })
        patterns.append(base)
    patterns.extend(own.values())
    return playbook.model_copy(update={"steps": steps, "anti_patterns": patterns})


def load_playbook_file(path: str | Path, shared: SharedGuide | None = None) -> Playbook:
    """Validate one playbook file and merge the shared cues into it; raises PlaybookError naming file/line/field."""
    path = Path(path)
    playbook = _validate(Playbook, path)
    playbook = playbook.model_copy(update={"source": str(path)})
    return _merge_shared(playbook, shared or load_shared())


def _folder_signature(folder: Path) -> tuple:
    """(name, mtime, size) of every playbook file: a trainer's save in any process changes it."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.y*ml")))


@lru_cache(maxsize=8)
def _load_cached(extra: str | None, signature: tuple = ()) -> dict[str, Playbook]:
    folders = [DATA_DIR] + ([Path(extra)] if extra else [])
    playbooks: dict[str, Playbook] = {}
    for folder in folders:
        if not folder.is_dir():
            raise PlaybookError(f"{folder}: playbook folder not found; pass an existing folder of *.yaml files")
        for path in sorted(folder.glob("*.y*ml")):
            if path.name.startswith("_"):
                continue
            playbook = load_playbook_file(path)
            playbooks[playbook.objection] = playbook
    return playbooks


def load_playbooks(extra_dir: str | Path | None = None) -> dict[str, Playbook]:
    """All playbooks keyed by objection type; files in ``extra_dir`` (default: the trainer folder
    COACH_HOME/playbooks when it holds any) replace shipped ones. Cached until a file there changes (the
    same dict object is returned until then, so callers can tell a reload by identity)."""
    if extra_dir is None:
        from knowledge.settings import get_settings

        folder = get_settings().playbook_dir
        if folder.is_dir() and any(folder.glob("*.y*ml")):
            extra_dir = folder
    if not extra_dir:
        return _load_cached(None)
    folder = Path(extra_dir).resolve()
    return _load_cached(str(folder), _folder_signature(folder) if folder.is_dir() else ())


def clear_cache() -> None:
    """Forget loaded playbooks, e.g. after a trainer edits a file."""
    load_shared.cache_clear()
    _load_cached.cache_clear()
