"""Regex detectors for PII with a fixed shape: phones (with extensions), emails, IDs (PRC, Hong Kong, Taiwan),
passports, QQ numbers, cards, URLs, WeChat, plates, amounts.

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
    r"\[(?:客户|公司|销售|Person |Company |Customer |Rep )[A-Z]{1,3}\]"
    r"|\[(?:电话|邮箱|身份证|银行卡|地址|微信|网址|车牌|金额|QQ|护照|姓名|名字|手机号?|手机号码|公司名?|客户|联系人)\]"
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


QQ = re.compile(r"(?:QQ|qq|Qq|扣扣|企鹅号?)(?:\s*(?:号码|号|number|no\.?|#))?\s*(?:[:：是为]|is)?\s*"
                r"([1-9]\d{4,10})" + _NA, A)
_DOC_CUE = r"(?:\s*(?:号码|号|number|no\.?|#))?\s*(?:[:：是为]|is)?\s*"
PASSPORT = re.compile(r"(?:护照|passport|Passport|PASSPORT)" + _DOC_CUE + r"([A-Z]{1,2}\d{6,9})" + _NA
                      + r"|" + _ND + r"([EG][A-Z]?\d{7,8})" + _NA, A)  # PRC passports: E12345678, EA1234567
HK_ID = re.compile(_ND + r"([A-Z]{1,2})(\d{6})\s?(?:[(（]([0-9A])[)）]|([0-9A]))" + r"(?![0-9A-Za-z])", A)
TW_ID = re.compile(_ND + r"[A-Z][12]\d{8}" + _NA, A)
_ID_CUE = re.compile(r"(?:身份证|证件|ID|id|HKID|identity)[^\n]{0,8}$")
PLATE_EN = re.compile(r"(?:licen[cs]e plate|number plate|plate|registration|reg\.?|车牌号?)"
                      r"(?:\s*(?:number|no\.?|#|号码|号))?\s*(?:[:：是为]|is)?\s*"
                      r"((?-i:[A-Z0-9]{1,4}(?:[- ]?[A-Z0-9]{1,4}){1,2}))" + _NA, A | re.IGNORECASE)
EXTENSION = re.compile(r"\s?(?:转|分机|ext\.?|extension|x|#)\s?\d{1,5}(?![0-9])|-\d{1,5}(?![0-9-])", A)


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


def _hk_id_ok(prefix: str, digits: str, check: str) -> bool:
    values = ([36] if len(prefix) == 1 else []) + [ord(c) - 55 for c in prefix] + [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    return "0123456789A"[(11 - total % 11) % 11] == check


_TW_LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"  # A=10 … in the ROC's own order


def _tw_id_ok(num: str) -> bool:
    code = _TW_LETTERS.index(num[0]) + 10
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(num[1:9], range(8, 0, -1), strict=True))
    return (total + int(num[9])) % 10 == 0


def find_qq(text: str) -> list[Span]:
    return [Span("qq", m.start(1), m.end(1), priority=66) for m in QQ.finditer(text)]


def find_passports(text: str) -> list[Span]:
    spans = []
    for m in PASSPORT.finditer(text):
        group = 1 if m.group(1) else 2
        spans.append(Span("passport", m.start(group), m.end(group), priority=58))
    return spans


def find_hk_tw_ids(text: str) -> list[Span]:
    """Hong Kong (A123456(3)) and Taiwan (A123456789) ID numbers: a valid check digit, the bracketed form, or an
    ID cue just before; a bare letter-and-digits string alone is too common (order numbers) to mask."""
    spans = []
    for m in HK_ID.finditer(text):
        check = m.group(3) or m.group(4)
        cue = _ID_CUE.search(text[max(0, m.start() - 12):m.start()])
        if m.group(3) or cue or _hk_id_ok(m.group(1), m.group(2), check):
            spans.append(Span("id_card", m.start(), m.end(), priority=56))
    for m in TW_ID.finditer(text):
        if _tw_id_ok(m.group()) or _ID_CUE.search(text[max(0, m.start() - 12):m.start()]):
            spans.append(Span("id_card", m.start(), m.end(), priority=57))
    return spans


def _extend_extension(text: str, span: Span) -> Span:
    m = EXTENSION.match(text, span.end)
    if m:
        span.end = m.end()
    return span


def find_phones(text: str) -> list[Span]:
    return [_extend_extension(text, s) for s in _find_phones(text)]


def _find_phones(text: str) -> list[Span]:
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
    spans = [Span("plate", m.start(), m.end(), priority=40) for m in PLATE.finditer(text)]
    for m in PLATE_EN.finditer(text):  # other plates only after a cue ("plate 7ABC123"): the shape alone is too loose
        plate = m.group(1)
        if re.search(r"\d", plate) and re.search(r"[A-Za-z]", plate) and 5 <= len(re.sub(r"[- ]", "", plate)) <= 8:
            spans.append(Span("plate", m.start(1), m.end(1), priority=40))
    return spans


def find_amounts(text: str) -> list[Span]:
    return [Span("amount", m.start(), m.end(), priority=10) for m in AMOUNT.finditer(text)]


REGEX_DETECTORS: dict[str, Callable[[str], list[Span]]] = {
    "placeholder": find_placeholders,
    "url": find_urls,
    "email": find_emails,
    "id_card": find_id_cards,
    "bank_card": find_bank_cards,
    "phone": find_phones,
    "qq": find_qq,
    "passport": find_passports,
    "hk_tw_id": find_hk_tw_ids,
    "wechat": find_wechat,
    "plate": find_plates,
    "amount": find_amounts,
}
