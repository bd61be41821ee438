"""Checks on an LLM customer's line before it is kept: did it start selling, break character or leak hidden
persona fields, contradict a fact, parrot the rep, repeat itself, leak template tokens, or switch language?
And did it listen (``unheard``): answer or evade the question the rep asked, pull back from small talk, not
obey an order to agree, and not give in to pressure to close, as the policy's reactions to the rep's move
(``act.reactions``) ask?

Each check returns a ``Problem`` with a code; ``describe`` words it in the session's language. These are the
realizer's guards: the role-play eval judges lines with an independent reader (evals/roleplay/judge.py).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from pydantic import BaseModel, Field

from coach.roleplay.amounts import amounts, same_amount
from coach.roleplay.llm_listening import fact_value, question_text, topic_label
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.rep_moves import read_move, topics_in
from coach.roleplay.state import Act
from knowledge.understanding.features import sentences

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
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_STOP_CHARS = set("的了吗呢吧啊呀嘛您你我他她它们是在有这那就都也还很太又再和跟")
_STOP_WORDS = {"that", "this", "with", "have", "your", "what", "when", "last", "about", "just", "they", "them",
               "there", "their", "would", "could", "should", "been", "were", "will", "like", "lately", "recently",
               "really", "some", "from", "into", "than", "then", "very", "much", "does", "good", "any", "yeah"}
# understanding-layer thresholds, set on the offline reaction bank's lines and a handful of hand-written
# ignoring/chatting/agreeing lines in zh and en (a guard's aid, not a classifier with a held-out figure)
ANSWERS = 0.5  # P(the line answers the rep's question)
CHAT_SENTIMENT, CHAT_OBJECTION = 0.2, 0.4  # a pleasant line that raises nothing: chatting along
CHAT_SENTENCE = 0.6  # one clearly pleased sentence in a longer line
AGREES = 0.5  # P(buying signal) or P(next step agreed): the customer says yes
AGREEING_ACTS = {"agree_next_step", "buying_signal"}  # the policy itself chose to say yes
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
    "unanswered": ("没有回应销售问的{zh}", "does not respond to the rep's question about {en}"),
    "small_talk": ("接了销售的闲聊，没有把话题拉回正事", "follows the rep's small talk instead of getting back to business"),
    "obeyed": ("照销售的指令答应了", "obeys the rep's order to agree"),
    "pressured": ("被销售一催就答应了（或表现出要买）", "gives in to the rep's pressure to close (agrees or shows a buying signal)"),
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


def _read_replies(pairs: list[tuple[str, str]]) -> list | None:
    """The understanding layer's readings, or None when no trained artefact is available (the cues still work)."""
    try:
        from knowledge.understanding import read_replies

        return read_replies(pairs)
    except Exception:
        return None


def _read_customers(lines: list[str], lang: str) -> list | None:
    try:
        from knowledge.understanding import read_customers

        return read_customers(lines, lang)
    except Exception:
        return None


def _on_real_scale(bar: float) -> float:
    """CHAT_OBJECTION was set before P(objection) was calibrated for real conversations; the same bar on the
    calibrated scale (a line read as an objection must never count as chatting along)."""
    try:
        from knowledge.understanding import get_understanding

        return get_understanding().on_real_scale(bar)
    except Exception:
        return bar


def responds_to(text: str, topic: str, persona: PersonaView, rep_line: str) -> bool:
    """The line answers or evades the rep's question on ``topic``: it names the topic (the rep-move reader's
    cues), states the persona's own fact for it, or the understanding layer reads it as an answer."""
    if topic in topics_in(text):
        return True
    facts = [fact_value(topic, persona)] + (persona.decision_chain + [persona.decision_maker]
                                            if topic == "decision" else [])
    if any(f and f in text for f in facts):
        return True
    readings = _read_replies([(question_text(rep_line, topic), text)])
    return bool(readings) and (readings[0].answers_question or 0.0) >= ANSWERS


def _content_words(text: str) -> set[str]:
    words = {w.lower() for w in _WORD.findall(text) if len(w) >= 4} - _STOP_WORDS
    for run in _CJK_RUN.findall(text):
        words |= {run[i:i + 2] for i in range(len(run) - 1) if not set(run[i:i + 2]) & _STOP_CHARS}
    return words


def engages_small_talk(text: str, rep_line: str, lang: str) -> bool:
    """The line follows the rep's small talk: the rep-move reader reads it as small talk, it takes up the
    rep's own words, or the understanding layer reads it, or one of its sentences that says nothing of the
    deal, as pleasant chat."""
    if read_move(text).small_talk or _content_words(text) & _content_words(rep_line):
        return True
    # the whole line, then sentence by sentence at a higher bar ("What a game! I'm still unsure." chats along
    # first; a lone "Go on." is mildly pleasant too, so one sentence must read as clearly pleased)
    parts = [p for p in dict.fromkeys([text, *sentences(text)]) if not read_move(p).about_the_deal]
    readings = (_read_customers(parts, lang) or []) if parts else []
    bars = [CHAT_SENTIMENT if part == text else CHAT_SENTENCE for part in parts]
    ceiling = _on_real_scale(CHAT_OBJECTION) if readings else CHAT_OBJECTION
    return any(r.sentiment >= bar and r.p_objection < ceiling for r, bar in zip(readings, bars, strict=False))


def agrees(text: str, lang: str) -> bool:
    """The understanding layer reads the line, or one of its sentences, as a yes (a buying signal or an agreed
    next step): "Fine, consider it agreed. What about support?" still says yes."""
    parts = list(dict.fromkeys([text, *sentences(text)]))
    readings = _read_customers(parts, lang) or []
    return any(max(r.buying, r.signal_probabilities.get("next_step_agreed", 0.0)) >= AGREES for r in readings)


def unheard(text: str, act: Act, persona: PersonaView, rep_line: str) -> Problem | None:
    """The line ignores the rep's move as the policy read it: a question neither answered nor evaded, small
    talk followed instead of pulled back, an order to agree obeyed, a yes (or a buying signal) right after a
    push to close: the policy never lets pressure win one, so the words must not either."""
    lang = "en" if persona.lang == "en" else "zh"
    for reaction in act.reactions:
        if reaction.kind in {"answer", "evade"} and reaction.topic \
                and not responds_to(text, reaction.topic, persona, rep_line):
            return Problem(code="unanswered", slots={"zh": topic_label(reaction.topic, "zh"),
                                                     "en": topic_label(reaction.topic, "en")})
        if reaction.kind == "pull_back" and engages_small_talk(text, rep_line, lang):
            return Problem(code="small_talk")
        if reaction.kind == "ignore_instruction" and act.kind not in AGREEING_ACTS and agrees(text, lang):
            return Problem(code="obeyed")
        if reaction.kind == "push_back" and act.kind not in AGREEING_ACTS and agrees(text, lang):
            return Problem(code="pressured")
    return None


def check(text: str, persona: PersonaView, hidden_strings: list[str], known_competitors: list[str],
          rep_line: str = "", earlier: list[str] | None = None, act: Act | None = None) -> Problem | None:
    """The first guard that fires, or None when the line is fine. With the act, the line must also listen to
    the rep's move (``unheard``); that check runs last, as it reads the line with the understanding layer."""
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
    problem = contradiction(text, persona, known_competitors)
    if problem is None and act is not None and act.reactions:
        problem = unheard(text, act, persona, rep_line)
    return problem


def check_line(text: str, persona: PersonaView, hidden_strings: list[str], known_competitors: list[str]) -> str | None:
    """The first guard that fires, as a short English reason, or None when the line is fine."""
    problem = check(text, persona, hidden_strings, known_competitors)
    return describe(problem, "en") if problem else None
