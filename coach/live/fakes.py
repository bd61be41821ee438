"""Small stand-ins for the live collaborators: a cue-list detector and a tiny in-memory index of won deals.

Shipped with the package (like the index's HashEmbedder) so tests, demos and integrators can run live
assist without loading the embedding model.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from knowledge.detect import detect_lang

FAKE_CUES = {
    "price": r"太贵|贵了|价格.{0,4}高|too expensive|expensive|price is too high|cheaper",
    "authority": r"老板|领导.{0,4}(决定|批)|my boss|not my decision|check with my",
    "competitor": r"别家|竞品|already use|another vendor|competitor",
    "stall": r"再考虑|再说吧|think about it|get back to you",
    "need": r"不需要|用不上|don't need|no need",
}


class FakeDetection(BaseModel):
    text: str
    lang: str
    objection: str
    confidence: float
    objections: list[str] = []
    scores: dict[str, float] = {}


class CueDetector:
    """Detects an objection when one of a few cue phrases appears (confidence 0.9), else ``none``."""

    def __init__(self, cues: dict[str, str] | None = None) -> None:
        self.cues = {name: re.compile(p, re.IGNORECASE) for name, p in (cues or FAKE_CUES).items()}
        self.calls = 0

    def detect(self, text: str, lang: str | None = None) -> FakeDetection:
        self.calls += 1
        for name, pattern in self.cues.items():
            if pattern.search(text):
                return FakeDetection(text=text, lang=lang or detect_lang(text), objection=name, confidence=0.9,
                                     objections=[name])
        return FakeDetection(text=text, lang=lang or detect_lang(text), objection="none", confidence=0.8)


def tiny_won_deals():
    """Four short deals (two won per language) with tagged objection turns."""
    from knowledge.records import DealRecord, Turn

    def deal(deal_id, lang, outcome, lines):
        turns = [Turn(speaker=s, text=t, objections=[o] if o else []) for s, t, o in lines]
        return DealRecord(deal_id=deal_id, lang=lang, outcome=outcome, industry="saas", turns=turns)

    return [
        deal("won-zh-1", "zh", "won", [("customer", "你们的价格太贵了，便宜点吧", "price"),
                                        ("rep", "理解，我们算一下三年总成本，其实每天不到五块钱。", None)]),
        deal("won-zh-2", "zh", "won", [("customer", "这个报价比别家贵太多了", "price"),
                                        ("rep", "方便说说您是跟哪家比吗？我们的实施是包含在内的。", None)]),
        deal("won-en-1", "en", "won", [("customer", "Honestly it is too expensive for us", "price"),
                                        ("rep", "Fair point. Spread over a year it is under a dollar per user per day.",
                                         None)]),
        deal("lost-zh-1", "zh", "lost", [("customer", "价格太贵了，我们不考虑了", "price"),
                                          ("rep", "好的，那打九折吧。", None)]),
    ]


def tiny_index(folder: str | Path):
    """A HybridIndex over :func:`tiny_won_deals` with the hash embedder and an in-memory vector store."""
    from knowledge.index import HashEmbedder, MemoryVectorStore, open_index

    index = open_index(Path(folder), embedder=HashEmbedder(), store=MemoryVectorStore())
    index.add_records(tiny_won_deals())
    return index
