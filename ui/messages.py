"""Pure functions from domain objects (turns, grades, scorecards) to what the page shows.
Tested without a server; the pages only wire them to components.

Every internal id that reaches a page (objection types, anti-patterns, outcomes, follow-up atoms, fact
keys, statuses, modes, languages) goes through ``label()`` and the tables below, in the page's language.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ui.texts import t

STEP_LABELS = {
    "zh": {"acknowledge": "认同", "clarify": "澄清", "evidence": "举证", "reframe": "重构价值",
           "validate": "邀请验证", "advance": "推进下一步"},
    "en": {"acknowledge": "acknowledge", "clarify": "clarify", "evidence": "evidence", "reframe": "reframe",
           "validate": "validate", "advance": "advance"},
}

# kind -> lang -> id -> words; an id missing here is shown humanised ("foo_bar" -> "foo bar"), never raw
LABELS: dict[str, dict[str, dict[str, str]]] = {
    "step": STEP_LABELS,
    "objection": {
        "zh": {"price": "价格", "budget": "预算", "timing": "时机", "competitor": "竞品", "authority": "决策权",
               "need": "需求", "trust": "信任", "terms": "条款", "implementation": "实施", "stall": "拖延",
               "none": "无异议"},
        "en": {"price": "price", "budget": "budget", "timing": "timing", "competitor": "competitor",
               "authority": "decision authority", "need": "need", "trust": "trust", "terms": "terms",
               "implementation": "implementation", "stall": "stalling", "none": "no objection"},
    },
    "anti": {
        "zh": {"empty_agreement": "空洞附和", "discount_without_tradeoff": "无条件让价",
               "disparage_competitor": "贬低竞品", "over_promise": "过度承诺", "ignore_objection": "回避异议",
               "monologue": "长篇独白"},
        "en": {"empty_agreement": "empty agreement", "discount_without_tradeoff": "discount without a trade-off",
               "disparage_competitor": "running down a competitor", "over_promise": "over-promising",
               "ignore_objection": "ignoring the objection", "monologue": "monologue"},
    },
    "outcome": {
        "zh": {"next_step_agreed": "约定了下一步", "customer_ended": "客户结束了对话", "ended_by_trainee": "学员提前结束",
               "max_turns": "达到轮数上限", "unhandled": "异议未处理", "abandoned": "中途离开（超时关闭）",
               "open": "进行中", "ended": "已结束", "patience": "客户失去耐心", "script_ended": "脚本结束"},
        "en": {"next_step_agreed": "next step agreed", "customer_ended": "the customer ended the call",
               "ended_by_trainee": "ended by the trainee", "max_turns": "turn limit reached",
               "unhandled": "objection left unhandled", "abandoned": "left unfinished (closed when idle)",
               "open": "in progress", "ended": "ended", "patience": "the customer lost patience",
               "script_ended": "script ended"},
    },
    "atom": {
        "zh": {"contact_confirmed": "确认联系方式", "pain_recorded": "记录客户痛点", "solution_matched": "匹配方案",
               "next_action_committed": "承诺具体下一步", "owner_named": "明确负责人"},
        "en": {"contact_confirmed": "contact details confirmed", "pain_recorded": "pain point recorded",
               "solution_matched": "solution matched", "next_action_committed": "next action committed",
               "owner_named": "owner named"},
    },
    "fact": {
        "zh": {"budget": "预算", "current_vendor": "现用供应商", "pain_points": "痛点", "decision_chain": "决策链",
               "timeline": "时间表"},
        "en": {"budget": "budget", "current_vendor": "current vendor", "pain_points": "pain points",
               "decision_chain": "decision chain", "timeline": "timeline"},
    },
    "status": {
        "zh": {"active": "进行中", "completed": "已完成", "abandoned": "已放弃"},
        "en": {"active": "in progress", "completed": "completed", "abandoned": "abandoned"},
    },
    "mode": {
        "zh": {"guided": "引导", "standard": "标准", "drill": "专项", "preview": "预览"},
        "en": {"guided": "guided", "standard": "standard", "drill": "drill", "preview": "preview"},
    },
    "lang": {
        "zh": {"zh": "中文", "en": "英文"},
        "en": {"zh": "Chinese", "en": "English"},
    },
}


def label(kind: str, key: Any, lang: str) -> str:
    """The words for an internal id in the page's language (escaped); unknown ids are humanised."""
    if key is None or key == "":
        return "-"
    table = LABELS.get(kind, {}).get("en" if lang == "en" else "zh", {})
    return esc(table.get(str(key)) or str(key).replace("_", " "))


def error_text(exc: BaseException, lang: str, title: str = "") -> str:
    """What the page says when the coach refuses something, in the page's language (the coach's own
    messages are English for logs and the CLI)."""
    from coach.progression import ScenarioLocked

    if isinstance(exc, ScenarioLocked):
        return t("locked_msg", lang, title=title or exc.scenario_id, reason=exc.reason)
    text = str(exc)
    if "has ended" in text:
        return t("session_over", lang)
    if "reply is empty" in text:
        return t("empty_reply", lang)
    return t("error_generic", lang, detail=text.rstrip("."))


# The mentor page's refusals come from coach/review.py in English (logs, CLI, API); the Chinese page shows them
# in Chinese. Pattern on the English message -> Chinese wording with its groups; an unknown message is wrapped.
REFUSALS_ZH: tuple[tuple[str, str], ...] = (
    (r"^session (\S+) does not exist", "会话 {0} 不存在。"),
    (r"may not see session (\S+):", "你无权查看会话 {0}：它属于其他导师的学员。"),
    (r"not a mentor: only mentors and admins", "只有导师和管理员可以改分或签字。"),
    (r"may not see (\S+): not their trainee", "你无权查看 {0}：不是你的学员或团队成员。"),
    (r"^date (.+) is not YYYY-MM-DD", "日期 {0} 格式不对，请写成 YYYY-MM-DD。"),
    (r"^a comment is required", "请填写理由：说明为什么改分（会记入审计日志）。"),
    (r"^score (.+) is not a number", "分数 {0} 不是数字，请填 0–100。"),
    (r"^score (.+) is out of range", "分数 {0} 超出范围，请填 0–100。"),
    (r"^turn (\S+) has no grade", "第 {0} 轮没有评分（只有学员的回复会评分）。"),
    (r"^mentors cannot sign off their own gates", "导师不能给自己的关卡签字，请找另一位导师。"),
    (r"^PDF export needs a CJK font", "导出 PDF 需要中文字体（fonts-wqy-microhei，`make` 会安装）；可以先导出 Markdown。"),
    (r"^fpdf2 cannot load the font", "PDF 字体加载失败；请先导出 Markdown。"),
)


def refusal_text(exc: BaseException, lang: str) -> str:
    """A refusal from the coach, in the page's language: English as the coach said it, Chinese from the table."""
    text = str(exc).strip()
    if lang == "zh":
        for pattern, words in REFUSALS_ZH:
            if match := re.search(pattern, text):
                return words.format(*match.groups())
        return t("error_generic", lang, detail=text.rstrip("."))
    return text


def esc(text: Any) -> str:
    """Escape user and deal text before it reaches Markdown/HTML (no script runs from a reply)."""
    return html.escape(str(text), quote=True)


def bold_label(text: str, lang: str) -> str:
    """``**label**:`` with the colon outside the emphasis: CommonMark does not close ``**`` after a
    full-width colon when a CJK character follows, so ``**下一关：**名字`` would show its asterisks."""
    return f"**{text}**" + ("：" if lang != "en" else ": ")


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


def evidence_rows(grade: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Each graded step as {hit, label, weight, phrases}: what the trainee and the mentor both read."""
    steps = grade.get("steps") or {}
    if not isinstance(steps, dict):
        steps = {s: True for s in steps}
    weights = grade.get("weights") or {}
    found: dict[str, list[str]] = {}
    for item in grade.get("evidence") or []:
        if isinstance(item, dict) and item.get("step"):
            phrase = item.get("phrase") or item.get("text") or ""
            if phrase and phrase not in found.setdefault(item["step"], []):
                found[item["step"]].append(phrase)
    return [{"hit": bool(present), "label": label("step", step, lang), "weight": weights.get(step),
             "phrases": [esc(p) for p in found.get(step, [])]} for step, present in steps.items()]


def evidence_lines(grade: dict[str, Any], lang: str) -> list[str]:
    """The evidence rows as plain lines (escaped): ``✔ 认同 ×0.20 — “理解您的顾虑”``."""
    lines = []
    for row in evidence_rows(grade, lang):
        weight = f" ×{row['weight']:.2f}" if isinstance(row["weight"], int | float) else ""
        said = "; ".join(row["phrases"])
        lines.append(f"{'✔' if row['hit'] else '✘'} {row['label']}{weight}" + (f" — “{said}”" if said else ""))
    return lines


UNSURE_NOTE = {  # shown with a grade the understanding layer marks as unsure (ReplyReading.unsure)
    "zh": "⚠ 评分把握不大：系统判断不了这条回复有没有回应客户的顾虑，这个分数和下面的建议都可能不准，导师可以复核。",
    "en": "⚠ Unsure grade: the coach cannot tell whether this reply addresses the customer's concern, so the score "
          "and the advice below may be off; your mentor can review it.",
}


def grade_markdown(grade: dict[str, Any], lang: str) -> str:
    """One reply's score with the evidence behind it: steps matched (and the phrases), anti-patterns, weights."""
    lines = [f"{t('score', lang)}: {score_badge(float(grade.get('score', 0)))}"]
    objection = grade.get("objection")
    if objection:
        lines.append(f"{'异议类型' if lang != 'en' else 'Objection'}: {label('objection', objection, lang)}")
    rows = evidence_lines(grade, lang)
    if rows:
        lines.append("\n".join(f"- {row}" for row in rows))
    anti = grade.get("anti_patterns") or []
    if anti:
        lines.append(("⚠ 问题: " if lang != "en" else "⚠ Issues: ") + ", ".join(label("anti", a, lang) for a in anti))
    if grade.get("unsure"):
        lines.append(UNSURE_NOTE["en" if lang == "en" else "zh"])
    if grade.get("feedback"):
        lines.append(esc(grade["feedback"]))
    if grade.get("suggestion"):
        lines.append(("➜ 参考说法: " if lang != "en" else "➜ Try: ") + esc(grade["suggestion"]))
    if isinstance(grade.get("judge"), dict):  # below the offline grade, which stays the score of record
        lines.append(judge_markdown(grade["judge"], lang))
    return "\n\n".join(lines)


JUDGE_WORDS = {  # the LLM judge's second opinion under an unsure grade (coach.practice.PracticeService.second_opinion)
    "zh": {"head": "LLM 第二意见", "score": "{score} 分", "asking": "请求中…",
           "failed": "暂时不可用，以上离线评分为准。", "note": "（仅供参考，上面的分数不变）"},
    "en": {"head": "LLM second opinion", "score": "{score}", "asking": "asking…",
           "failed": "unavailable right now; the offline grade above stands.",
           "note": "(for reference only; the score above stands)"},
}
RATIONALE_CHARS = 300  # the judge's reason on one line; the mentor's review keeps the whole of it


def judge_markdown(judge: dict[str, Any] | None, lang: str) -> str:
    """One line under an unsure grade: the judge's score and reason, that it failed (no server detail: the
    trainee can do nothing about it), or, with ``judge`` None, that it is still being asked."""
    words = JUDGE_WORDS["en" if lang == "en" else "zh"]
    head = bold_label(words["head"], lang)
    if judge is None:
        return head + words["asking"]
    if judge.get("error") or judge.get("score") is None:
        return head + words["failed"]
    reason = " ".join(str(judge.get("rationale") or "").split())
    if len(reason) > RATIONALE_CHARS:
        reason = reason[:RATIONALE_CHARS].rstrip() + "…"
    said = f" — {esc(reason)}" if reason else ""
    return f"{head}{words['score'].format(score=judge['score'])}{said} *{words['note']}*"


def nav_options(grade: dict[str, Any]) -> list[dict[str, str]]:
    """The ①②③ navigation bar after an empty agreement (empty list otherwise)."""
    if not grade.get("empty_agreement"):
        return []
    return list(grade.get("nav_options") or [])


def scorecard_markdown(card: dict[str, Any], lang: str) -> str:
    zh = lang != "en"
    lines = [f"## {t('scorecard', lang)}", f"{'总分' if zh else 'Overall'}: {score_badge(card.get('score', 0))}"]
    if card.get("outcome"):
        lines.append(f"{'结果' if zh else 'Outcome'}: {label('outcome', card['outcome'], lang)}")
    for key, label_zh, label_en in (("objections_handled", "已处理异议", "Objections handled"),
                                    ("talk_ratio", "说话占比", "Talk ratio"),
                                    ("questions_asked", "提问数", "Questions asked")):
        if key in card:
            lines.append(f"{label_zh if zh else label_en}: {esc(card[key])}")
    atoms = card.get("follow_up_atoms") or {}
    if atoms:
        lines.append("\n".join(f"- {'✔' if ok else '✘'} {label('atom', name, lang)}" for name, ok in atoms.items()))
    practice = card.get("practice_next") or []
    if practice:
        lines.append(bold_label("接下来练习" if zh else "Practise next", lang) + "\n\n" +
                     "\n".join(f"{i}. {esc(p)}" for i, p in enumerate(practice, 1)))
    return "\n\n".join(lines)


def next_gate_markdown(title: dict[str, str] | str | None, gate_id: str, lang: str, status: str = "") -> str:
    """``**下一关**：独立处理3类常见异议`` (renders bold in both languages), then the gate's status when it
    needs saying (a gate held or flagged for unsure grades, ``coach.progression.progress.gate_status_text``)."""
    name = title.get("en" if lang == "en" else "zh") if isinstance(title, dict) else title
    line = bold_label("下一关" if lang != "en" else "Next gate", lang) + esc(name or gate_id)
    return line + (f"（{esc(status)}）" if lang != "en" else f" ({esc(status)})") if status else line


def step_chart_frame(card: dict[str, Any], lang: str):
    """The scorecard's step chart: for each step, the share of replies (0-100 %) that used it.

    The grader's step averages are fractions 0-1; the chart's axis is 0-100, so they are scaled here."""
    import pandas as pd

    steps = card.get("step_averages") or {}
    return pd.DataFrame({"step": [label("step", k, lang) for k in steps],
                         "score": [round(float(v) * 100, 1) for v in steps.values()]})


def step_chart_titles(lang: str) -> dict[str, str]:
    return {"x_title": "步骤" if lang != "en" else "step",
            "y_title": "用到该步骤的回复 (%)" if lang != "en" else "replies using the step (%)"}
