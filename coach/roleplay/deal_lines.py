"""Where the offline customer's words come from: real customer lines of similar anonymized deals, retrieved
by act and objection type (filtered by the persona's language, industry and segment), then adapted so they
never contradict the persona (competitor, company, figures)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from coach.roleplay.consistency import check_line
from coach.roleplay.persona_view import PersonaView
from coach.roleplay.realizer import RealizeRequest

OBJECTION_QUERY = {
    "zh": {"price": "价格太贵了", "budget": "没有预算", "timing": "现在不是时候", "competitor": "已经在用别家",
           "authority": "我做不了主", "need": "我们不需要", "trust": "你们靠得住吗", "terms": "合同条款付款方式",
           "implementation": "上线实施太麻烦", "stall": "我们再考虑一下"},
    "en": {"price": "too expensive", "budget": "no budget", "timing": "not the right time",
           "competitor": "we already use another vendor", "authority": "not my decision", "need": "we don't need it",
           "trust": "can we trust you", "terms": "contract terms payment", "implementation": "rollout is hard",
           "stall": "let us think about it"},
}
_PERSON = re.compile(r"\[(客户|Person|Customer)\s?[A-Z]\]")
_COMPANY = re.compile(r"\[(公司|Company)\s?[A-Z]\]")
_MONEY = re.compile(r"\d[\d,.]*\s*(万|千|元|块|k\b|K\b|million)|(RMB|USD|CNY|[$¥￥])\s?\d")
_OTHER_PLACEHOLDER = re.compile(r"\[[^\]]{1,20}\]")


class DealLineSource:
    """A ``LineSource`` over the hybrid index; ``competitors`` are names that must be swapped or avoided."""

    def __init__(self, index, competitors: Iterable[str] = (), k: int = 12, mode: str = "bm25") -> None:
        # BM25 by default: the act/objection/industry filters do most of the choosing, and keyword ranking
        # keeps a turn free of a model call (hybrid is one argument away)
        self.index = index
        self.mode = mode
        self.competitors = sorted({c for c in competitors if c}, key=len, reverse=True)
        self.k = k
        # The anonymizer sometimes takes the first part of a vendor name for a person ("[客户A]零食"): a placeholder
        # glued to the tail of a known vendor name is that vendor, not the customer's boss.
        tails = sorted({name[i:] for name in self.competitors for i in range(1, len(name) - 1)
                        if len(name[i:]) >= 2 and name[i:].strip() == name[i:]}, key=len, reverse=True)
        self._vendor_stub = re.compile(r"\[(?:客户|公司|Person|Customer|Company)\s?[A-Z]\]\s?(?:"
                                       + "|".join(re.escape(t) for t in tails) + ")") if tails else None

    def query_text(self, request: RealizeRequest) -> str:
        lang = "en" if request.persona.lang == "en" else "zh"
        if request.act.kind in {"raise_objection", "press_objection"} and request.act.objection:
            return OBJECTION_QUERY[lang].get(request.act.objection, request.act.objection) + " " + request.trainee_reply
        return request.trainee_reply or OBJECTION_QUERY[lang].get(request.act.objection or "", "")

    def __call__(self, request: RealizeRequest) -> list[str]:
        persona, act = request.persona, request.act
        base = {"speaker": "customer", "act": act.kind, "lang": "en" if persona.lang == "en" else "zh"}
        if act.objection and act.kind in {"raise_objection", "press_objection"}:
            base["objection"] = act.objection
        attempts = [{**base, "industry": persona.industry, "segment": persona.segment},
                    {**base, "industry": persona.industry}, base]
        query = self.query_text(request)
        lines: list[str] = []
        for filters in attempts:
            if not filters.get("industry", True):
                continue
            try:
                hits = self.index.search(query, k=self.k, filters=filters, mode=self.mode)
            except Exception:  # an empty or missing index: the line bank still answers
                return []
            lines = [line for line in (self.adapt(h.text, persona) for h in hits) if line]
            if len(lines) >= 3:
                break
        return lines

    def adapt(self, text: str, persona: PersonaView) -> str | None:
        """Fit a retrieved line to this persona, or None when it would contradict a persona fact."""
        zh = persona.lang != "en"
        for name in self.competitors:
            if name in text:
                if not persona.competitor:
                    return None
                text = text.replace(name, persona.competitor)
        if _MONEY.search(text):
            return None  # figures belong to the persona, not to some other deal
        if self._vendor_stub is not None and self._vendor_stub.search(text):
            if not persona.competitor:
                return None
            text = self._vendor_stub.sub(persona.competitor, text)
        text = _COMPANY.sub("我们公司" if zh else "our company", text)
        text = _PERSON.sub(persona.decision_maker or ("老板" if zh else "my boss"), text)
        if _OTHER_PLACEHOLDER.search(text) or check_line(text, persona):
            return None  # a role, product, size or vendor this customer does not have
        return text.strip() or None
