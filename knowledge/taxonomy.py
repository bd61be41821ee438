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

# What a simulated (or real) customer does in one turn; the dialogue policy picks one, a realizer words it.
ACTS: tuple[str, ...] = (
    "greet", "raise_objection", "press_objection", "drop_objection", "ask_question", "reveal_fact",
    "buying_signal", "agree_next_step", "stall", "end_call", "small_talk",
)

INDUSTRIES: tuple[str, ...] = (
    "saas", "medical_devices", "fmcg", "education", "building_materials",
    "manufacturing_erp", "cross_border_ecommerce", "financial_outsourcing", "insurance",
)
INDUSTRY_LABELS_ZH = {
    "saas": "SaaS软件", "medical_devices": "医疗器械", "fmcg": "快消", "education": "教育",
    "building_materials": "建材", "manufacturing_erp": "ERP/制造", "cross_border_ecommerce": "跨境电商",
    "financial_outsourcing": "金融外包", "insurance": "保险",
}

SEGMENTS: tuple[str, ...] = ("individual", "smb", "ka")
SEGMENT_LABELS_ZH = {"individual": "个体户", "smb": "中小企", "ka": "KA"}

Speaker = Literal["rep", "customer", "other"]
Outcome = Literal["won", "lost", "open"]
Lang = Literal["zh", "en"]
