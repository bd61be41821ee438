"""Small stand-ins for the live collaborators: a cue-list detector, a cue-list reply judge and a tiny in-memory
index of won deals.

Shipped with the package (like the index's HashEmbedder) so tests, demos and integrators can run live
assist without loading the embedding model. These are test doubles: production reads customer lines and
judges replies through the understanding layer, never through cue lists like the ones below.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from coach.live.handling import Verdict
from knowledge.detect import detect_lang
from knowledge.playbooks import Playbook

FAKE_CUES = {
    "price": r"太贵|贵了|价格.{0,4}高|too expensive|expensive|price is too high|cheaper",
    "authority": r"老板|领导.{0,4}(决定|批)|my boss|not my decision|check with my",
    "competitor": r"别家|竞品|already use|another vendor|competitor",
    "stall": r"再考虑|再说吧|think about it|get back to you",
    "need": r"不需要|用不上|don't need|no need",
}
FAKE_SIGNAL_CUES = {
    "procurement_meeting": r"采购会|招标会|procurement meeting",
    "budget_confirmed": r"预算.{0,4}(批|定)|budget is approved|budget approved",
    "decision_maker_named": r"[\u4e00-\u9fff]总拍板|has the final say|final say",
    "timeline_set": r"上线前|deadline|go live by",
    "next_step_agreed": r"那就约|let's book|let's schedule",
}
FAKE_WARM = r"不错|好的|可以|没问题|sounds good|sounds great|sure|great|works"
FAKE_COLD = r"不行|算了|不不|没兴趣|可能吧|\bno\b|not interested|forget it|maybe|not sure"
MIN_STEPS = 2  # cue judge: a reply that shows two playbook steps handles the objection


class FakeDetection(BaseModel):
    text: str
    lang: str
    objection: str
    confidence: float
    p_objection: float = 0.0
    objections: list[str] = []
    scores: dict[str, float] = {}
    signals: list[str] = []
    sentiment: float = 0.0
    cues: dict[str, list[str]] = {}


class CueDetector:
    """Detects an objection when one of a few cue phrases appears (confidence 0.9), else ``none``; also a few
    decision signals (with their phrase as the cue) and a crude sentiment, so live cards and mood have input."""

    def __init__(self, cues: dict[str, str] | None = None) -> None:
        self.cues = {name: re.compile(p, re.IGNORECASE) for name, p in (cues or FAKE_CUES).items()}
        self.signal_cues = {name: re.compile(p, re.IGNORECASE) for name, p in FAKE_SIGNAL_CUES.items()}
        self.warm, self.cold = re.compile(FAKE_WARM, re.IGNORECASE), re.compile(FAKE_COLD, re.IGNORECASE)
        self.calls = 0

    def detect(self, text: str, lang: str | None = None) -> FakeDetection:
        self.calls += 1
        lang = lang or detect_lang(text)
        signals, cues = [], {}
        for name, pattern in self.signal_cues.items():
            if match := pattern.search(text):
                signals.append(name)
                cues[name] = [match.group(0)]
        objection = next((name for name, pattern in self.cues.items() if pattern.search(text)), None)
        cold = bool(self.cold.search(text))
        sentiment = -0.6 if objection or cold else 0.6 if self.warm.search(text) else 0.0
        if objection:
            return FakeDetection(text=text, lang=lang, objection=objection, confidence=0.9, p_objection=0.9,
                                 objections=[objection], signals=signals, sentiment=sentiment, cues=cues)
        return FakeDetection(text=text, lang=lang, objection="none", confidence=0.8,
                             p_objection=0.5 if cold else 0.1, signals=signals, sentiment=sentiment, cues=cues)


class CueJudge:
    """Counts the playbook steps whose cues appear in the reply (clarify only inside a question); a test double
    for the grader judge."""

    def __init__(self, playbooks: dict[str, Playbook]) -> None:
        self._steps: dict[str, list[tuple[str, list[re.Pattern], bool]]] = {
            name: [(s.id, [re.compile(p, re.IGNORECASE) for p in [*s.cues.zh, *s.cues.en]], s.question_only)
                   for s in book.steps]
            for name, book in playbooks.items()
        }

    def __call__(self, customer: str, reply: str, objection: str, lang: str) -> Verdict:
        steps = self._steps.get(objection, [])
        questions = " ".join(re.findall(r"[^。？！.?!]*[?？]", reply))
        shown = [sid for sid, cues, question_only in steps
                 if any(p.search(questions if question_only else reply) for p in cues)]
        score = round(100.0 * len(shown) / max(1, min(len(steps), 4)), 1)
        return Verdict(handled=len(shown) >= MIN_STEPS, score=min(100.0, score), steps=shown)


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
