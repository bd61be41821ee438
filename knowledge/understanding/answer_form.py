"""Grammatical answer form: does the customer ask a yes/no or a wh- question, and does the reply answer in kind?

Why: on sentence vectors alone a bare 「是的」 or "Yes, it does." lies nowhere near the customer's topic, so the
relevance and quality heads scored plain, correct direct answers 5–25 on real shop chats; and a polite service
formula (「还有什么可以帮您」, "have a nice day", begging for a rating) lies near every helpful reply. These
features mean the same in both languages (a polar question met by a polar answer; a reply that is mostly
formula) and are inputs to the heads, never a decision on their own.
"""

from __future__ import annotations

import re

import numpy as np

from knowledge.understanding.features import units

# one clause of a customer line (JDDC joins several customer lines with 「，」)
_CLAUSES = re.compile(r"[，,。.!！?？;；~～\n]+|\s{1,}(?=[\u4e00-\u9fff])")
_ZH_POLAR_END = re.compile(r"(吗|么|嘛|行不行|好不好|可不可以|能不能|有没有|可以不)[呀啊呢哈哦~～]*$")
_ZH_A_NOT_A = re.compile(r"(是不是|有没有|能不能|可不可以|会不会|要不要|用不用|支不支持|包不包|送不送|带不带|算不算|够不够|"
                         r"行不行|对不对|好不好|可以不|需不需要|([\u4e00-\u9fff])不\2)")
_ZH_WH = re.compile(r"什么|多少|几[个天号点种块钱年月次样件]|哪|怎么|为什么|为啥|多久|多长|多大|多重|啥|咋|如何|何时")
_EN_POLAR_START = re.compile(r"^(do|does|did|is|are|was|were|can|could|will|would|should|have|has|may|shall|isn't|"
                             r"aren't|don't|doesn't|won't|can't)\b", re.IGNORECASE)
_EN_WH = re.compile(r"^(what|how|which|when|where|who|why|whose)\b|\b(what|how much|how many|how long|which|when|"
                    r"where|why)\b.*\?$", re.IGNORECASE)

# 「…是吧」「…对吧」 are tags; a bare 吧 is one only after a presumed fact (「有赠送吧」「可以吧」「是正品吧」),
# not in a suggestion or put-off (「再说吧」「先定两台吧」「过完年再聊吧」)
_ZH_TAG = re.compile(r"(是吧|对吧|是不是|对不对|没错吧)[呀啊呢哈哦]*$")
_ZH_PRESUMED = re.compile(r"(是|有|可以|能|会|支持|包|送|带|含|的)[^，,。]{0,8}吧[呀啊呢哈哦]*$")
_ZH_SUGGESTION = re.compile(r"再|先|等|我去|咱们|我们就|了吧")

# address terms and greetings a reply may open with before it answers
_OPENERS = re.compile(r"^(?:[\s，,。.!！~～、…:：]|亲爱的|亲亲|亲|您好|你好|小主|嗯+|恩+|哦+|噢|呃|好的呢|哈+|"
                      r"hi|hello|hey|well|oh|ah|dear customer|sure thing)+", re.IGNORECASE)
_ZH_POLAR_ANSWER = re.compile(
    r"^(是的|是滴|是呀|是哦|是啊|是可以|是有|是会|是支持|是[^\s，,。的]{0,3}的|对的|对呀|对|没错|可以|能的|能[，,。 ]|会的|会[，,。 ]|"
    r"有的|有哦|有呢|有[，,。 ]|有现货|支持|包的|包邮|送的|带的|需要|要的|行的|没问题|当然|肯定|一定|"
    r"不是|不可以|不能|不会|不支持|不行|不用|不需要|不包|不送|不带|没有|没|暂时没有|暂时不|暂不|无法|不了)")
_EN_POLAR_ANSWER = re.compile(
    r"^(yes|yeah|yep|yup|no\b|nope|sure|of course|absolutely|definitely|certainly|correct|right|that's right|exactly|"
    r"not\b|unfortunately|i'm afraid|we (do|don't|can|can't|will|won't|are|aren't|have|haven't)\b|"
    r"(it|they|this|that|you|i) (is|isn't|are|aren't|does|doesn't|do|don't|can|can't|will|won't|has|hasn't|have)\b|"
    r"it's (not|yes)|there (is|are|isn't|aren't)\b)", re.IGNORECASE)

# service formula: greetings, offers of more help, thanks, wishes, rating requests, "please wait"
_FORMULA = re.compile(
    r"您好|你好|在的|在呢|在哦|很高兴为您服务|(请问)?(还)?有什么[^，,。!！?？]{0,10}(帮|为|效劳)[^，,。!！?？]{0,8}|"
    r"(请问)?还有(什么|其他|其它|别的)[^，,。!！?？]{0,12}|"
    r"随时(咨询|联系|找我|提问|为您)|我一直都?在|感谢您?的?(支持|耐心|理解|来访|光临)|谢谢(您|你)?|不客气|不用谢|不谢|客气了|应该的|"
    r"祝您[^，,。!！]{0,8}|生活愉快|购物愉快|愉快|再见|拜拜|(给|帮)?(我|小妹|妹子)?(一个)?(好评|评价|五星|满意)[^，,。!！]{0,12}|"
    r"请(您)?(稍等|耐心等待)|稍等|美好的一天[^，,。!！]{0,10}|"
    r"\b(hi|hello|hey)\b|how (can|may) i help( you)?( today)?|anything else( i can (help|do)[^.!?]*)?|"
    r"let me know if[^.!?]*|feel free to[^.!?]*|thank(s| you)[^.!?]{0,20}|you're welcome|my pleasure|"
    r"have a (nice|great|wonderful|good) (day|evening|weekend)|(please )?(rate|review)[^.!?]{0,30}|five stars?|"
    r"(please )?(bear with|wait a moment|hold on)[^.!?]{0,15}|happy to help|glad to help|goodbye|bye",
    re.IGNORECASE)

QUESTION_FORM_NAMES = ("polar", "wh", "tag")
ANSWER_FORM_NAMES = ("customer_polar", "customer_wh", "reply_polar_answer", "polar_met", "wh_met",
                     "reply_formula_share", "reply_formula_only", "asked_formula_only")


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSES.split(text) if c and c.strip()]


def is_polar_question(text: str) -> bool:
    """A yes/no question in any clause: 「…吗」, A-not-A 「有没有…」, a tag 「…是吧」, "Does it…?", "…, right?"."""
    if is_tag_question(text):
        return True
    for clause in _clauses(text):
        if _ZH_POLAR_END.search(clause) or _ZH_A_NOT_A.search(clause):
            return True
        if _EN_POLAR_START.search(clause):
            return True
    return False


def is_wh_question(text: str) -> bool:
    """A question that asks for content: 什么 / 多少 / 几种 / 哪 / 怎么 / what / how much / which …"""
    return any(_ZH_WH.search(c) or _EN_WH.search(c) for c in _clauses(text))


def is_tag_question(text: str) -> bool:
    """A statement turned into a question by its tail: 「…是吧」「…对吧」「…吧」, "…, right?", "…, isn't it?"."""
    for clause in _clauses(text) or [text]:
        if _ZH_TAG.search(clause) or (_ZH_PRESUMED.search(clause) and not _ZH_SUGGESTION.search(clause)):
            return True
    stripped = text.strip()
    return bool(re.search(r",?\s*(right|correct|isn't it|aren't they|aren't you|don't you|doesn't it|won't it|"
                          r"didn't you|isn't that so)\s*[?？]+\s*$", stripped, re.IGNORECASE))


def opens_with_polar_answer(reply: str) -> bool:
    """The reply's first words, after an address term (亲亲，/ Hi,), say yes or no."""
    head = _OPENERS.sub("", reply.strip(), count=1).strip()
    if not head:
        return False
    return bool(_ZH_POLAR_ANSWER.search(head) or _EN_POLAR_ANSWER.search(head))


def formula_share(reply: str) -> float:
    """Share of the reply's units (characters in Chinese, words in English) inside service-formula phrases."""
    total = units(reply)
    if not total:
        return 0.0
    covered = sum(units(m.group(0)) for m in _FORMULA.finditer(reply))
    return min(1.0, covered / total)


def answer_form(customer: str, reply: str) -> np.ndarray:
    """``ANSWER_FORM_NAMES`` for one pair, each in [0, 1]."""
    polar, wh = float(is_polar_question(customer)), float(is_wh_question(customer))
    polar_answer = float(opens_with_polar_answer(reply))
    share = formula_share(reply)
    only = float(share >= 0.6)
    reply_asks = bool(re.search(r"[?？]|吗[\s。~～]*$|呢[?？]", reply))
    content = float(not only and not reply_asks and units(reply) > 0)
    return np.array([polar, wh, polar_answer, polar * polar_answer, wh * content * (1.0 - polar_answer), share, only,
                     max(polar, wh) * only], dtype=np.float32)


def answer_form_matrix(customers: list[str], replies: list[str], names=ANSWER_FORM_NAMES) -> np.ndarray:
    """The named answer-form columns per pair (an artefact records which it was trained with)."""
    columns = [ANSWER_FORM_NAMES.index(n) for n in names]
    if not customers:
        return np.zeros((0, len(columns)), dtype=np.float32)
    return np.stack([answer_form(c, r) for c, r in zip(customers, replies, strict=True)])[:, columns]


def question_form(texts: list[str]) -> np.ndarray:
    """``QUESTION_FORM_NAMES`` per line: the question head's grammatical inputs (a tag question is a question)."""
    return np.array([[float(is_polar_question(t)), float(is_wh_question(t)), float(is_tag_question(t))]
                     for t in texts], dtype=np.float32).reshape(len(texts), len(QUESTION_FORM_NAMES))
