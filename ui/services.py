"""The coach services the UI adapts; built once per server and passed in (tests pass their own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.practice import PracticeService
from ui.texts import t


@dataclass
class Services:
    practice: PracticeService = field(default_factory=PracticeService)

    def scenario_choices(self, user: dict | None) -> list[tuple[str, str]]:
        """(label, id) pairs for the picker: playable scenarios first (the user's language first, drills after),
        then locked ones marked as such with what unlocks them."""
        if not user:
            return []
        from coach.progression import scenario_access

        lang = user.get("lang", "zh")
        rows = scenario_access(user["id"])

        def order(row):
            s = row.scenario
            return (not row.unlocked, s.id.startswith("drill-"), s.language != lang, s.id)

        choices = []
        for row in sorted(rows, key=order):
            s = row.scenario
            label = f"{s.title} [{s.language}]"
            if not row.unlocked:
                label = f"[{t('locked', lang)}] {label} — {row.reason}"
            choices.append((label, s.id))
        return choices
