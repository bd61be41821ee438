"""Decision signals with the span that shows them, from the same shared cues as ``knowledge.detect``."""

from __future__ import annotations

import re

from knowledge.playbooks import SharedGuide, load_shared
from knowledge.taxonomy import DECISION_SIGNALS

SIGNAL_LABELS = {
    "zh": {"procurement_meeting": "采购会/招标", "budget_confirmed": "预算已定", "decision_maker_named": "决策人出现",
           "competitor_trial": "在试竞品", "timeline_set": "时间表已定", "next_step_agreed": "约定下一步"},
    "en": {"procurement_meeting": "procurement meeting", "budget_confirmed": "budget confirmed",
           "decision_maker_named": "decision-maker named", "competitor_trial": "competitor on trial",
           "timeline_set": "timeline set", "next_step_agreed": "next step agreed"},
}


def signal_label(name: str, lang: str) -> str:
    return SIGNAL_LABELS.get(lang, SIGNAL_LABELS["en"]).get(name, name)


class SignalSpotter:
    """Regex cues per decision signal (compiled once); ``spot`` returns (signal, start, end) per signal found."""

    def __init__(self, shared: SharedGuide | None = None) -> None:
        shared = shared or load_shared()
        self._cues = {
            name: [re.compile(p, re.IGNORECASE) for p in [*cues.zh, *cues.en]]
            for name, cues in shared.decision_signals.items()
        }

    def spot(self, text: str) -> list[tuple[str, int, int]]:
        found = []
        for name in DECISION_SIGNALS:
            for pattern in self._cues.get(name, []):
                if (m := pattern.search(text)) and m.end() > m.start():
                    found.append((name, m.start(), m.end()))
                    break
        return found
