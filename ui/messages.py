"""Pure functions from domain objects (turns, grades, scorecards) to what the page shows.
Tested without a server; the pages only wire them to components."""

from __future__ import annotations

import html
from typing import Any

from ui.texts import t

STEP_LABELS = {
    "zh": {"acknowledge": "认同", "clarify": "澄清", "evidence": "举证", "reframe": "重构价值",
           "validate": "邀请验证", "advance": "推进下一步"},
    "en": {"acknowledge": "acknowledge", "clarify": "clarify", "evidence": "evidence", "reframe": "reframe",
           "validate": "validate", "advance": "advance"},
}


def esc(text: Any) -> str:
    """Escape user and deal text before it reaches Markdown/HTML (no script runs from a reply)."""
    return html.escape(str(text), quote=True)


def chat_messages(transcript: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Stored turns -> chatbot messages: the customer is the assistant, the trainee the user."""
    out = []
    for turn in transcript:
        if turn["speaker"] == "customer":
            out.append({"role": "assistant", "content": esc(turn["text"])})
        elif turn["speaker"] == "trainee":
            out.append({"role": "user", "content": esc(turn["text"])})
    return out


def persona_card(public: dict[str, str], title: str, lang: str) -> str:
    return (f"### {esc(title)}\n\n**{t('persona', lang)}**: {esc(public.get('name', ''))} · "
            f"{esc(public.get('title', ''))}\n\n{esc(public.get('company', ''))}")


def score_badge(score: float) -> str:
    """Plain characters only: servers often lack a colour-emoji font, and a box is worse than nothing."""
    level = "▲" if score >= 80 else "■" if score >= 60 else "▼"
    return f"{level} **{round(score)}**/100"


def grade_markdown(grade: dict[str, Any], lang: str) -> str:
    """One reply's score with the evidence behind it: steps matched (and the phrases), anti-patterns, weights."""
    labels = STEP_LABELS["en" if lang == "en" else "zh"]
    lines = [f"{t('score', lang)}: {score_badge(float(grade.get('score', 0)))}"]
    objection = grade.get("objection")
    if objection:
        lines.append(f"{'异议类型' if lang == 'zh' else 'Objection'}: `{esc(objection)}`")
    steps = grade.get("steps") or {}
    weights = grade.get("weights") or {}
    evidence = {}
    for item in grade.get("evidence") or []:
        if isinstance(item, dict) and item.get("step"):
            evidence.setdefault(item["step"], []).append(item.get("phrase") or item.get("text") or "")
    rows = []
    for step, present in steps.items():
        mark = "✔" if present else "✘"
        weight = f" ×{weights[step]:.2f}" if step in weights else ""
        found = "; ".join(esc(p) for p in evidence.get(step, []) if p)
        rows.append(f"- {mark} {labels.get(step, step)}{weight}" + (f" — “{found}”" if found else ""))
    if rows:
        lines.append("\n".join(rows))
    anti = grade.get("anti_patterns") or []
    if anti:
        lines.append(("⚠ 问题: " if lang == "zh" else "⚠ Issues: ") + ", ".join(f"`{esc(a)}`" for a in anti))
    if grade.get("feedback"):
        lines.append(esc(grade["feedback"]))
    if grade.get("suggestion"):
        lines.append(("➜ 参考说法: " if lang == "zh" else "➜ Try: ") + esc(grade["suggestion"]))
    return "\n\n".join(lines)


def nav_options(grade: dict[str, Any]) -> list[dict[str, str]]:
    """The ①②③ navigation bar after an empty agreement (empty list otherwise)."""
    if not grade.get("empty_agreement"):
        return []
    return list(grade.get("nav_options") or [])


def scorecard_markdown(card: dict[str, Any], lang: str) -> str:
    zh = lang == "zh"
    lines = [f"## {t('scorecard', lang)}", f"{'总分' if zh else 'Overall'}: {score_badge(card.get('score', 0))}"]
    if card.get("outcome"):
        lines.append(f"{'结果' if zh else 'Outcome'}: `{esc(card['outcome'])}`")
    for key, label_zh, label_en in (("objections_handled", "已处理异议", "Objections handled"),
                                    ("talk_ratio", "说话占比", "Talk ratio"),
                                    ("questions_asked", "提问数", "Questions asked")):
        if key in card:
            lines.append(f"{label_zh if zh else label_en}: {esc(card[key])}")
    atoms = card.get("follow_up_atoms") or {}
    if atoms:
        lines.append("\n".join(f"- {'✔' if ok else '✘'} {esc(name)}" for name, ok in atoms.items()))
    practice = card.get("practice_next") or []
    if practice:
        lines.append(("**接下来练习：**\n" if zh else "**Practise next:**\n") +
                     "\n".join(f"{i}. {esc(p)}" for i, p in enumerate(practice, 1)))
    return "\n\n".join(lines)
