"""Regex detectors for PII with a fixed shape: phones, emails, IDs, cards, URLs, WeChat, plates, amounts.

Patterns are compiled once at import. re.ASCII keeps \\w and \\d from swallowing Chinese characters that
often sit right next to a number or email in chat text ("手机13812345678找我").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.anonymize.models import Span

A = re.ASCII
_ND = r"(?<![0-9A-Za-z])"  # no digit/letter right before
_NA = r"(?![0-9A-Za-z])"   # ... or right after

# Placeholders that masked data already carries: ours, third-party ALL_CAPS ones, and common Chinese ones.
PLACEHOLDER = re.compile(
    r"\[(?:客户|公司|Person |Company |Customer )[A-Z]{1,3}\]"
    r"|\[(?:电话|邮箱|身份证|银行卡|地址|微信|网址|车牌|金额|姓名|名字|手机号?|手机号码|公司名?|客户|联系人)\]"
    r"|\[[A-Z][A-Z0-9_ ]{1,30}\]|<[A-Z][A-Z0-9_]{1,30}>|\{\{?\s*[A-Za-z_]+\s*\}?\}|【(?:姓名|电话|手机号|地址|公司)】"
    r"|\*{3,}|\#{4,}",
)

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。；！？、）)\]】]+", A)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", A)
ID_CARD = re.compile(
    _ND + r"([1-9]\d{5})[ -]?((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))[ -]?(\d{3}[0-9Xx])" + _NA, A
)
BANK_CARD = re.compile(_ND + r"(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?|\d{6}[ -]\d{10,13})" + _NA, A)
MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _NA
    + r"|(?<![0-9A-Za-z+])1[3-9]\d[ -]\d{3}[ -]\d{5}" + _NA,
    A,
)
LANDLINE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+86[ -]?)?\(?0\d{2,3}\)?[ -]?)\d{3,4}[ -]?\d{4}(?:[ -]?(?:转|ext\.?|x)[ -]?\d{1,5})?" + _NA
    + r"|(?<![0-9A-Za-z])[48]00[ -]?\d{3}[ -]?\d{4}" + _NA,
    A,
)
INTL_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}" + _NA, A
)
_INTL_CUE = re.compile(r"^(?:\+|\(\d)")

WECHAT = re.compile(
    r"(?:微信号?|微信ID|微信id|VX|vx|Vx|WX|wx|Wx|v信|V信|WeChat|Wechat|wechat|weixin)(?:\s*(?:ID|id|号))?"
    r"\s*(?:[:：是为]|is|：\s*)?\s*(?:是|为)?\s*(?:,?\s*(?:ID|id|号)\s*[:：]?\s*)?([A-Za-z][-_A-Za-z0-9]{5,19})" + _NA,
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE = re.compile(
    rf"[{_PROVINCES}][A-HJ-NP-Z][·•\s-]?(?:[A-HJ-NP-Z0-9]{{5}}[A-HJ-NP-Z0-9挂学警]?)" + _NA
)
_AMOUNT_UNIT = r"(?:万元|万块|元|块钱|块|万|千元|亿元|亿|美元|美金|欧元|英镑|港币|rmb|RMB|CNY|USD|dollars?|bucks|yuan|k\b|K\b|million\b|bn\b|billion\b|m\b)"
AMOUNT = re.compile(
    r"(?:[¥￥$€£]|US\$|RMB|CNY|USD|HK\$)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:万|千|百万|亿|k\b|K\b|m\b|M\b|million\b|billion\b))?"
    + r"|" + _ND + r"\d[\d,]*(?:\.\d+)?\s?" + _AMOUNT_UNIT
    + r"|[一二两三四五六七八九十百千]+(?:点[一二三四五六七八九十])?(?:万元|万块|万|亿元|亿|千元|块钱|元)"
)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _id_checksum_ok(num: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(num[:17], weights, strict=True))
    return "10X98765432"[total % 11] == num[17].upper()


def find_placeholders(text: str) -> list[Span]:
    return [Span("placeholder", m.start(), m.end(), priority=100) for m in PLACEHOLDER.finditer(text)]


def find_urls(text: str) -> list[Span]:
    spans = []
    for m in URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?":
            end -= 1
        spans.append(Span("url", m.start(), end, priority=60))
    return spans


def find_emails(text: str) -> list[Span]:
    return [Span("email", m.start(), m.end(), priority=70) for m in EMAIL.finditer(text)]


def find_id_cards(text: str) -> list[Span]:
    spans = []
    for m in ID_CARD.finditer(text):
        num = "".join(m.groups())
        cue = re.search(r"身份证|证件|ID|id", text[max(0, m.start() - 12):m.start()])
        if _id_checksum_ok(num) or cue or num[-1] in "Xx":
            spans.append(Span("id_card", m.start(), m.end(), priority=55))
    return spans


def find_bank_cards(text: str) -> list[Span]:
    spans = []
    for m in BANK_CARD.finditer(text):
        if 16 <= len(_digits(m.group())) <= 19:
            spans.append(Span("bank_card", m.start(), m.end(), priority=50))
    return spans


def find_phones(text: str) -> list[Span]:
    spans = [Span("phone", m.start(), m.end(), priority=45) for m in MOBILE.finditer(text)]
    spans += [Span("phone", m.start(), m.end(), priority=44) for m in LANDLINE.finditer(text)]
    for m in INTL_PHONE.finditer(text):
        n = len(_digits(m.group()))
        # Without a "+" or "(area)" cue, a bare grouped number is only a phone when it looks like NANP
        # (415-555-0100); this keeps dates, version numbers and order ids out.
        if 8 <= n <= 15 and (_INTL_CUE.match(m.group()) or re.fullmatch(r"\d{3}[ .-]\d{3}[ .-]\d{4}", m.group())):
            spans.append(Span("phone", m.start(), m.end(), priority=43))
    return spans


def find_wechat(text: str) -> list[Span]:
    return [Span("wechat", m.start(1), m.end(1), priority=65) for m in WECHAT.finditer(text)]


def find_plates(text: str) -> list[Span]:
    return [Span("plate", m.start(), m.end(), priority=40) for m in PLATE.finditer(text)]


def find_amounts(text: str) -> list[Span]:
    return [Span("amount", m.start(), m.end(), priority=10) for m in AMOUNT.finditer(text)]


REGEX_DETECTORS: dict[str, Callable[[str], list[Span]]] = {
    "placeholder": find_placeholders,
    "url": find_urls,
    "email": find_emails,
    "id_card": find_id_cards,
    "bank_card": find_bank_cards,
    "phone": find_phones,
    "wechat": find_wechat,
    "plate": find_plates,
    "amount": find_amounts,
}
