"""Words for the trainee: what was missing, a better reply built from playbook exemplars, the nav bar."""

from __future__ import annotations

import hashlib

from coach.grading.models import GradeContext, NavOption
from knowledge.playbooks import Playbook

NAV_LABELS = {
    "evidence": ("①提供数据佐证", "① Back it with data"),
    "reframe": ("②切换价值维度", "② Switch the value frame"),
    "validate": ("③邀请现场验证", "③ Invite them to verify"),
}
_DEFAULT_SLOTS = {
    "zh": {"product": "我们的方案", "competitor": "现在的供应商", "customer": "贵司", "industry": "同行业"},
    "en": {"product": "our solution", "competitor": "your current vendor", "customer": "your company",
           "industry": "similar"},
}


class _Slots(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_slots(text: str, lang: str, context: GradeContext | None) -> str:
    """Fill {product}/{competitor}/{customer}/{industry} from the persona, else neutral defaults."""
    slots = _Slots(_DEFAULT_SLOTS["zh" if lang == "zh" else "en"])
    if context:
        for key, value in (("product", context.product), ("competitor", context.competitor),
                           ("customer", context.persona_name)):
            if value:
                slots[key] = value
        if context.industry:  # an industry id (fmcg) is shown by its label (快消 / consumer-goods)
            from coach.hints import industry_label

            slots["industry"] = industry_label(context.industry, lang)
    return text.format_map(slots)


def _pick(options: list[str], seed: str) -> str | None:
    """Deterministic choice (same customer text, same pick) so the same input always reads the same."""
    if not options:
        return None
    digest = int(hashlib.sha1(seed.encode("utf-8")).hexdigest(), 16)
    return options[digest % len(options)]


def step_phrase(playbook: Playbook | None, step: str, lang: str, seed: str, context: GradeContext | None) -> str:
    guide = playbook.step(step) if playbook else None
    text = _pick(guide.exemplars.get(lang), seed + step) if guide else None
    return fill_slots(text, lang, context) if text else ""


def suggestion(playbook: Playbook | None, steps: dict[str, bool], lang: str, seed: str,
               context: GradeContext | None) -> str:
    """A better reply: acknowledge, clarify, the first missing value step (evidence/reframe/validate), advance."""
    if playbook is None:
        return ""
    value = next((s for s in ("evidence", "reframe", "validate") if not steps.get(s)), "evidence")
    parts = [step_phrase(playbook, s, lang, seed, context) for s in ("acknowledge", "clarify", value, "advance")]
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


def nav_options(playbook: Playbook | None, lang: str, seed: str, context: GradeContext | None) -> list[NavOption]:
    """The three buttons shown after empty agreement, each inserting a playbook phrase for this persona."""
    return [
        NavOption(key=key, label_zh=zh, label_en=en, phrase=step_phrase(playbook, key, lang, seed, context))
        for key, (zh, en) in NAV_LABELS.items()
    ]


def feedback_text(playbook: Playbook | None, steps: dict[str, bool], anti: list[str], lang: str,
                  advice: dict[str, str], ignored: list[str]) -> str:
    """What was done, what was missing (with the playbook's description), and the advice per anti-pattern."""
    zh = lang == "zh"
    done = [s for s, ok in steps.items() if ok]
    missing = [s for s, ok in steps.items() if not ok]
    parts: list[str] = []
    names = _STEP_NAMES_ZH if zh else _STEP_NAMES_EN
    if done:
        parts.append(("做到了：" if zh else "Done: ") + ("、" if zh else ", ").join(names.get(s, s) for s in done))
    for step in missing:
        guide = playbook.step(step) if playbook else None
        if guide:
            parts.append(("缺少「" + names.get(step, step) + "」：" if zh else f"Missing '{names.get(step, step)}': ") + guide.description.get(lang).rstrip("。."))
    for pattern in anti:
        if pattern in advice:
            parts.append(("注意：" if zh else "Watch out: ") + advice[pattern])
    if ignored:
        parts.append("回复中对评分的指令已忽略，只按销售内容评分。" if zh
                     else "Instructions to the grader in the reply were ignored; only the sales content is graded.")
    return ("；" if zh else " | ").join(parts)


_STEP_NAMES_EN = {
    "acknowledge": "Acknowledge", "clarify": "Clarify", "evidence": "Evidence", "reframe": "Reframe the value",
    "validate": "Invite validation", "advance": "Advance",
}
_STEP_NAMES_ZH = {
    "acknowledge": "认同", "clarify": "澄清", "evidence": "佐证", "reframe": "重构价值", "validate": "邀请验证",
    "advance": "推进下一步",
}
