"""Who a name belongs to: the sales rep or the customer's side, and whether a "name" is really a company.

Pseudonyms must keep people apart: the rep 小王 and the buyer 王秀英 share a surname, and linking a partial name
to a full one by surname alone merged them under one placeholder. A name's role comes from how the turn uses it:
a speaker introducing themselves (「我是云帆科技的小王」, "this is Sam from Acme") names their own side, and a name
that opens a turn as its addressee (「王总您好」, "Hi Dana,") names the other side. Within a deal a surface keeps
the role it was first seen with; anything else is on the customer's side, where third parties usually are.
"""

from __future__ import annotations

import re

REP, CUSTOMER = "rep", "customer"

_ZH_SELF = re.compile(r"(?:我是|我叫|我姓|我这边是|这里是|这边是|本人是?)"
                      r"(?:[^，。,.!?！？；;：:\s]{0,16}?的)?(?:销售|顾问|销售顾问|客户经理|业务员|专员)?\s*$")
_EN_SELF = re.compile(r"(?:\b(?:I'm|I am|this is|This is|it's|It's|my name is|My name is|name's)\s+)$")
_OPENING = re.compile(r"^\s*(?:喂[，,、\s]*|您好[，,、\s]*|你好[，,、\s]*|(?:Hi|Hello|Hey|Dear|Morning|Good morning|"
                      r"Good afternoon)\b[\s,]*)?$", re.IGNORECASE)
_ADDRESSED = re.compile(r"^\s*(?:[，,：:！!、？?]|\.(?!\w)|您好|你好|好|早|在吗|在不在)")

# A company's short name: what is left of 深圳市云帆信息技术有限公司 or 云帆科技 once place and legal form are gone.
_ZH_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}(?:省|市|自治区)){0,2}(?:[\u4e00-\u9fff]{2,3}(?:区|县))?")
_ZH_FORM = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团|公司|股份|信息技术|网络科技|科技|软件|技术|信息|网络|"
                      r"医疗器械|建材|物流|贸易|实业|控股)+$")
_EN_FORM = re.compile(r"[\s,]+(?:inc|incorporated|ltd|limited|llc|corp|corporation|co|company|gmbh|ag|plc|group|"
                      r"holdings|technologies|technology|solutions|systems|labs|software)\b\.?$", re.IGNORECASE)


def company_core(name: str) -> str:
    """The short name a company goes by: 深圳市云帆信息技术有限公司 → 云帆, Acme Corp → acme."""
    core = name.strip()
    if re.search(r"[\u4e00-\u9fff]", core):
        stripped = _ZH_FORM.sub("", core)
        stripped = _ZH_PLACE.sub("", stripped) if len(_ZH_PLACE.sub("", stripped)) >= 2 else stripped
        return stripped if len(stripped) >= 2 else core
    while _EN_FORM.search(core):
        core = _EN_FORM.sub("", core)
    return core.strip().lower() or name.strip().lower()


def other(role: str) -> str:
    return CUSTOMER if role == REP else REP


def role_from_context(text: str, start: int, end: int, speaker: str | None) -> str | None:
    """The role the turn itself gives the name at text[start:end], or None when it does not say."""
    if speaker not in (REP, CUSTOMER):
        return None
    before, after = text[max(0, start - 24):start], text[end:end + 4]
    if _ZH_SELF.search(before) or _EN_SELF.search(before):
        return speaker
    if _OPENING.match(text[:start]) and _ADDRESSED.match(after):
        return other(speaker)
    return None
