"""The coach services the UI adapts; built once per server and passed in (tests pass their own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.practice import PracticeService


@dataclass
class Services:
    practice: PracticeService = field(default_factory=PracticeService)

    def scenario_choices(self, lang: str = "zh") -> list[tuple[str, str]]:
        """(label, id) pairs for the scenario picker, the user's language first."""
        from scenarios import list_scenarios

        items = sorted(list_scenarios(), key=lambda s: (s.language != lang, s.id))
        return [(f"{s.title} [{s.language}]", s.id) for s in items]
