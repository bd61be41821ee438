"""Sum up a session: per-step averages, objections handled, talk ratio, questions, follow-up atoms, what to practise."""

from __future__ import annotations

import re
from collections import Counter

from coach.grading.models import Scorecard, ScoredTurn
from coach.grading.rules import length_units
from knowledge.taxonomy import NO_OBJECTION, STEPS

HANDLED_SCORE = 60
# The five atoms of an effective follow-up, looked for anywhere in the trainee's replies.
FOLLOW_UP_ATOMS: dict[str, str] = {
    "contact_confirmed": r"(电话|手机|微信|邮箱|联系方式|对接人|联系人)|\b(phone|email|contact|reach you|WhatsApp)\b",
    "pain_recorded": r"(您刚才(说|提到)|您提到的|痛点|记下来|记一下|问题是)|\b(you mentioned|you said|pain point|noted|the problem you)\b",
    "solution_matched": r"(方案|针对|匹配|适合您|按模块|分阶段)|\b(solution|tailored|fits your|match(es)? your|phased|module)\b",
    "next_action_committed": r"(下周|明天|周[一二三四五六日]|约(个|您)|安排|发您|跟进)|\b(next week|tomorrow|monday|tuesday|wednesday|thursday|friday|schedule|send you|follow up|book)\b",
    "owner_named": r"(由我|我来负责|我负责|负责人|我们的顾问|专属顾问|由.{1,6}负责)|\b(I'll personally|I will own|owner|account manager|dedicated consultant|responsible)\b",
}
ADVICE = {
    "zh": {
        "acknowledge": "先接住客户的顾虑，再回答", "clarify": "多用开放式问题问清真实原因",
        "evidence": "用数据和同行案例佐证", "reframe": "练习从总成本/回报角度重构价值",
        "validate": "邀请客户试用或与参考客户交流", "advance": "每次回复都提出具体下一步",
        "empty_agreement": "附和之后必须跟一个具体动作", "discount_without_tradeoff": "让步要换条件",
        "disparage_competitor": "不贬低竞品，用事实比较", "over_promise": "用可验证的承诺代替保证",
        "ignore_objection": "先回应客户说的那一点", "monologue": "缩短回复，用问题把话轮交回客户",
    },
    "en": {
        "acknowledge": "acknowledge the concern before answering", "clarify": "ask open questions to find the real reason",
        "evidence": "back claims with numbers and peer cases", "reframe": "practise reframing to total cost and return",
        "validate": "invite trials and reference calls", "advance": "end every reply with a concrete next step",
        "empty_agreement": "follow agreement with a concrete move", "discount_without_tradeoff": "trade every concession",
        "disparage_competitor": "compare on facts, never run rivals down", "over_promise": "replace guarantees with verifiable commitments",
        "ignore_objection": "answer the customer's point first", "monologue": "shorten replies and hand back with a question",
    },
}


def build_scorecard(turns: list[ScoredTurn]) -> Scorecard:
    """A scorecard for one session; an empty session gives an all-zero card."""
    n = len(turns)
    lang = Counter(t.grade.lang for t in turns).most_common(1)[0][0] if turns else "zh"
    step_avg = {s: round(sum(t.grade.steps.get(s, False) for t in turns) / n, 3) if n else 0.0 for s in STEPS}
    raised = [t for t in turns if t.grade.objection != NO_OBJECTION]
    handled = [t for t in raised if t.grade.score >= HANDLED_SCORE]
    rep_units = sum(length_units(t.reply, t.grade.lang) for t in turns)
    customer_units = sum(length_units(t.customer, t.grade.lang) for t in turns)
    questions = sum(1 for t in turns if (t.grade.asks_question or 0.0) >= 0.5)  # read by the understanding layer
    replies = "\n".join(t.reply for t in turns)
    follow_up = {atom: bool(re.search(p, replies, re.IGNORECASE)) for atom, p in FOLLOW_UP_ATOMS.items()}
    anti = Counter(p for t in turns for p in t.grade.anti_patterns)
    return Scorecard(
        turns=n,
        average_score=round(sum(t.grade.score for t in turns) / n, 1) if n else 0.0,
        step_averages=step_avg,
        objections_raised=len(raised),
        objections_handled=len(handled),
        talk_ratio=round(rep_units / (rep_units + customer_units), 3) if rep_units + customer_units else 0.0,
        questions_asked=questions,
        follow_up=follow_up,
        practise_next=_practise_next(step_avg, anti, lang) if n else [],
        anti_pattern_counts=dict(anti),
    )


def _practise_next(step_avg: dict[str, float], anti: Counter, lang: str) -> list[str]:
    """Most frequent anti-pattern first (it costs the most), then the weakest steps; three in all."""
    advice = ADVICE["zh" if lang == "zh" else "en"]
    picks = [p for p, _ in anti.most_common(1)]
    picks += [s for s, _ in sorted(step_avg.items(), key=lambda kv: (kv[1], STEPS.index(kv[0])))]
    return [advice[p] for p in picks[:3]]
