"""Checks on an LLM customer's line before it is kept: did it start selling, break character or leak hidden
persona fields, contradict a fact, parrot the rep, repeat itself, leak template tokens, or switch language?

Each check returns a ``Problem`` with a code; ``describe`` words it in the session's language. These are the
realizer's guards: the role-play eval judges lines with an independent reader (evals/roleplay/judge.py).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from pydantic import BaseModel, Field

from coach.roleplay.amounts import amounts, same_amount
from coach.roleplay.persona_view import PersonaView

_SELLER = re.compile(
    r"我们的(产品|方案|系统|服务|平台)|我们公司(可以|能)|为(您|你)(们)?提供|给(您|你)(们)?(优惠|折扣|打折|打个?\d*折|便宜|减)|"
    r"欢迎(您|你)?(们)?(试用|购买|咨询|下单)|购买我们|我(可以|能|来)给(您|你)(们)?(打|优惠|折扣|便宜|减|特价|免费|申请|\d+折)|"
    r"我们(可以|能)(帮|为)(您|你)|(您|你)(们)?(可以|不妨)(试用|购买|选择)我们|我们的(价格|报价)(很|非常|最)|"
    r"\bour (product|solution|platform|service|tool|pricing)s?\b|\bwe can offer\b|\bwe offer\b|"
    r"\bI (can|could|will|'ll) (offer|give|get) you\b[^.?!]*\b(off|discount|deal|price|trial|rate)\b|"
    r"\bI can offer you\b|\blet me show you (our|how our)\b|\bbuy from us\b|\bsign up (today|now)\b",
    re.IGNORECASE,
)
_OUT_OF_CHARACTER = re.compile(
    r"作为(一个)?(AI|人工智能)|人工智能助手|AI\s*助(手|理)|(我|你)(只是|就是|是)(一个|一|个)?(AI|人工智能|语言模型|机器人)|"
    r"系统提示|隐藏异议|预算敏感度|budget_sensitivity|hidden_objection|"
    r"\bas an AI\b|\blanguage model\b|\bAI assistant\b|\bchatbot\b|\b(I am|I'm|you are|you're) (just |only )?an AI\b|"
    r"\bsystem prompt\b|\bmy instructions\b|\brole-?play(ing)?\b",
    re.IGNORECASE,
)
_TEMPLATE = re.compile(
    r"<\|[a-z_]+\|>|<\/?s>|<(start|end)_of_turn>|\[/?INST\]|<<\/?SYS>>|"
    r"[（(]\s*销售接通了电话\s*[）)]|\(the rep is on the line\)|"
    r"^\s*(客户|销售|顾客|Customer|Rep|Salesperson|Buyer|Seller|User|Assistant)\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
_CUT = re.compile(r"<\|[a-z_]+\|>|<\/s>|<(start|end)_of_turn>|\[/?INST\]|\n\s*(销售|Rep|Salesperson|User)\s*[:：]",
                  re.IGNORECASE)
_BUDGET_CUE = re.compile(r"预算|最多|顶多|上限|能出|能花|花得起|投入|budget|afford|spend|at most|up to|\bcap\b",
                         re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{2,}")
_NOT_WORD = re.compile(r"[\W_]+")

REASONS = {
    "empty": ("空回复", "empty reply"),
    "role_inversion": ("客户开始推销了", "role inversion: the customer started selling"),
    "leak": ("泄露了隐藏设定或跳出了角色", "leaked hidden persona fields or broke character"),
    "competitor": ("提到了竞品 {name}，但客户用的是 {current}", "mentions competitor {name} but the customer uses {current}"),
    "budget": ("说的预算 {said} 与设定的 {budget} 不符", "states budget {said} but the customer's budget is {budget}"),
    "parrot": ("照搬了销售的话", "parrots the rep's pitch"),
    "repeat": ("重复了之前说过的话", "repeats an earlier line"),
    "template": ("含有模板标记或舞台说明", "contains template tokens or stage directions"),
    "language": ("语言不对（应说中文）", "wrong language (the customer speaks English here)"),
}


class Problem(BaseModel):
    code: str
    slots: dict[str, str] = Field(default_factory=dict)


def describe(problem: Problem, lang: str) -> str:
    zh, en = REASONS[problem.code]
    return (en if lang == "en" else zh).format(**problem.slots)


def cut_template_tail(text: str) -> str:
    """The line up to the first chat-template token or next speaker label (a base model runs on past them)."""
    match = _CUT.search(text)
    return text[:match.start()].rstrip() if match else text


def role_inversion(text: str) -> bool:
    """The customer talks like the seller (您- and 你-forms, discounts offered, 'our product')."""
    return bool(_SELLER.search(text))


def leaks_hidden(text: str, hidden_strings: list[str]) -> bool:
    """Breaks character or repeats a hidden persona field verbatim (trigger texts, internal field names)."""
    if _OUT_OF_CHARACTER.search(text):
        return True
    return any(len(h) >= 6 and h in text for h in hidden_strings)


def template_tokens(text: str) -> bool:
    return bool(_TEMPLATE.search(text))


def wrong_language(text: str, lang: str) -> bool:
    """A Chinese customer answering in English (or the reverse); names and product words are allowed."""
    cjk, words = len(_CJK.findall(text)), len(_WORD.findall(text))
    if lang == "en":
        return cjk >= 4 and cjk > words
    return words >= 4 and cjk < words


def _norm(text: str) -> str:
    return _NOT_WORD.sub("", text.lower())


def parrots(text: str, rep_line: str) -> bool:
    """The customer repeats a long stretch of the rep's last reply (a small model echoing its input)."""
    a, b = _norm(text), _norm(rep_line)
    if not a or not b:
        return False
    block = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size
    long_enough = 12 if _CJK.search(a) else 30
    return block >= long_enough or (len(a) >= 8 and block >= 0.7 * len(a))


def repeats(text: str, earlier: list[str]) -> bool:
    """The same line (or nearly) the customer already said in this session."""
    a = _norm(text)
    return bool(a) and any(SequenceMatcher(None, a, _norm(e), autojunk=False).ratio() >= 0.85 for e in earlier if e)


def contradiction(text: str, persona: PersonaView, known_competitors: list[str]) -> Problem | None:
    """Another vendor named as a competitor, or a budget (万/元/块/$/k) other than the persona's."""
    for name in known_competitors:
        if name and name != persona.competitor and name in text:
            return Problem(code="competitor", slots={"name": name, "current": persona.competitor or "-"})
    budget = amounts(persona.budget or "")
    if budget and _BUDGET_CUE.search(text):
        for value in amounts(text):
            if not same_amount(value, budget[0]):
                return Problem(code="budget", slots={"said": f"{value:g}", "budget": persona.budget})
    return None


def contradicts(text: str, persona: PersonaView, known_competitors: list[str]) -> str | None:
    """A reason (English) when the line names another vendor as the current one or states a different budget."""
    problem = contradiction(text, persona, known_competitors)
    return describe(problem, "en") if problem else None


def check(text: str, persona: PersonaView, hidden_strings: list[str], known_competitors: list[str],
          rep_line: str = "", earlier: list[str] | None = None) -> Problem | None:
    """The first guard that fires, or None when the line is fine."""
    if not text.strip():
        return Problem(code="empty")
    if template_tokens(text):
        return Problem(code="template")
    if role_inversion(text):
        return Problem(code="role_inversion")
    if leaks_hidden(text, hidden_strings):
        return Problem(code="leak")
    if wrong_language(text, persona.lang):
        return Problem(code="language")
    if rep_line and parrots(text, rep_line):
        return Problem(code="parrot")
    if earlier and repeats(text, earlier):
        return Problem(code="repeat")
    return contradiction(text, persona, known_competitors)


def check_line(text: str, persona: PersonaView, hidden_strings: list[str], known_competitors: list[str]) -> str | None:
    """The first guard that fires, as a short English reason, or None when the line is fine."""
    problem = check(text, persona, hidden_strings, known_competitors)
    return describe(problem, "en") if problem else None
