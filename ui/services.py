"""The coach services the UI adapts; built once per server and passed in (tests pass their own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.practice import PracticeService
from ui.texts import t


@dataclass
class Services:
    practice: PracticeService = field(default_factory=PracticeService)
    # built once when the server starts: sessions cut off by the previous run's end are closed if idle
    sweep_on_start: bool = True

    def __post_init__(self) -> None:
        if self.sweep_on_start:
            self.close_idle_sessions()

    @staticmethod
    def close_idle_sessions() -> list[int]:
        """Close practice sessions idle past COACH_PRACTICE_IDLE_MINUTES as abandoned (none before `coach init`)."""
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from coach.progression import close_idle_sessions

        try:
            return close_idle_sessions()
        except (OperationalError, ProgrammingError):  # no tables yet: nothing can be open
            return []

    def scenario_choices(self, user: dict | None) -> list[tuple[str, str]]:
        """(label, id) pairs for the picker in the page's language: that language's scenarios first (playable,
        then drills, then locked ones with what unlocks them), then the other language's in the same order."""
        if not user:
            return []
        from coach.progression import scenario_access
        from ui.messages import label

        lang = "en" if user.get("lang") == "en" else "zh"
        rows = scenario_access(user["id"], lang=lang)

        def order(row):
            s = row.scenario
            return (s.language != lang, not row.unlocked, s.id.startswith("drill-"), s.id)

        choices = []
        for row in sorted(rows, key=order):
            s = row.scenario
            text = f"{s.title} · {label('lang', s.language, lang)}"
            if not row.unlocked:
                text = f"[{t('locked', lang)}] {text} — {row.reason}"
            choices.append((text, s.id))
        return choices
