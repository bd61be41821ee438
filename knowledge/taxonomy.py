"""Canonical ids shared by playbooks, grading, personas, scenarios and live hints."""

from __future__ import annotations

from typing import Literal

OBJECTION_TYPES: tuple[str, ...] = (
    "price", "budget", "timing", "competitor", "authority",
    "need", "trust", "terms", "implementation", "stall",
)
NO_OBJECTION = "none"

STEPS: tuple[str, ...] = ("acknowledge", "clarify", "evidence", "reframe", "validate", "advance")

ANTI_PATTERNS: tuple[str, ...] = (
    "empty_agreement", "discount_without_tradeoff", "disparage_competitor",
    "over_promise", "ignore_objection", "monologue",
)

DECISION_SIGNALS: tuple[str, ...] = (
    "procurement_meeting", "budget_confirmed", "decision_maker_named",
    "competitor_trial", "timeline_set", "next_step_agreed",
)

SEGMENTS: tuple[str, ...] = ("individual", "smb", "ka")
SEGMENT_LABELS_ZH = {"individual": "个体户", "smb": "中小企", "ka": "KA"}

Speaker = Literal["rep", "customer", "other"]
Outcome = Literal["won", "lost", "open"]
Lang = Literal["zh", "en"]
