"""Objection playbooks: YAML package data (one file per objection type, zh + en) and the loader that validates it."""

from knowledge.playbooks.loader import (
    PlaybookError,
    clear_cache,
    load_playbook_file,
    load_playbooks,
    load_shared,
)
from knowledge.playbooks.models import AntiPattern, MicroFlow, Playbook, SharedGuide, StepGuide

__all__ = [
    "AntiPattern", "MicroFlow", "Playbook", "PlaybookError", "SharedGuide", "StepGuide",
    "clear_cache", "load_playbook_file", "load_playbooks", "load_shared",
]
