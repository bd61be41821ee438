"""Decision-signal labels for cards and the debrief.

Which signals a customer line shows is decided by the understanding layer (``Detection.signals``); the span a
card highlights is that layer's cue phrase (evidence), so there is no cue list here.
"""

from __future__ import annotations

SIGNAL_LABELS = {
    "zh": {"procurement_meeting": "采购会/招标", "budget_confirmed": "预算已定", "decision_maker_named": "决策人出现",
           "competitor_trial": "在试竞品", "timeline_set": "时间表已定", "next_step_agreed": "约定下一步"},
    "en": {"procurement_meeting": "procurement meeting", "budget_confirmed": "budget confirmed",
           "decision_maker_named": "decision-maker named", "competitor_trial": "competitor on trial",
           "timeline_set": "timeline set", "next_step_agreed": "next step agreed"},
}


def signal_label(name: str, lang: str) -> str:
    return SIGNAL_LABELS.get(lang, SIGNAL_LABELS["en"]).get(name, name)
