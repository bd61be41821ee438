"""What a rep reply does, as the simulated customer hears it: which topics it asks about, which offers it makes,
which concrete promises it states, whether it orders the customer around or drifts into small talk, pushes the
customer to close, runs a vendor down or argues on total cost.

The understanding layer scores how relevant a reply is; this reader names *what* was asked or offered so the
customer can answer that and nothing else. Each move is decided by a learned head (``knowledge.understanding.moves``,
trained by ``coach train`` on ``evals/understanding/moves_data``): "预算的事您不用担心" names the budget without
asking about it, "we don't do trials" offers none. The cue phrases in ``coach/data/rep_moves.yaml`` (zh and en)
are the head's input features and the evidence it keeps (which sentence ran a vendor down, which topics a line
names); concrete promises are still extracted by them verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.understanding.features import SURFACE_NAMES, is_question, sentences, surface

QUESTION_TOPICS = ("budget", "timeline", "decision", "vendor", "pain", "volume")
OFFERS = ("trial", "discount", "case_study", "references", "visit", "guarantee", "contract")
_CLAUSE = re.compile(r"[，,。；;！!？?\n]|(?<=\.)\s")
_ASKING = re.compile(r"[?？]|吗|呢|多少|多久|哪|谁|什么|怎么|几|是否|有没有|\b(what|how|which|when|who|why|where|is|are|do|does|"
                     r"did|could|would|can)\b", re.IGNORECASE)
_OFFERING = re.compile(r"我们?(可以|能|先|给|送|安排|提供)|可以(先|给|送|免费)|给您|帮您|发您|我来|我给|免费|送您|怎么样|您看|要不|"
                       r"\b(we can|we could|i can|i could|i'll|we'll|let's|how about|would you like|happy to|"
                       r"we offer|i'd suggest|why don't we|we include|included|free|here is|here's|let me show|i'll send|i can send)\b",
                       re.IGNORECASE)


class MoveCues(BaseModel):
    """The YAML file, validated: every topic and offer has at least one pattern that compiles."""

    questions: dict[str, list[str]]
    offers: dict[str, list[str]]
    claims: list[str]
    claims_en: list[str]
    guarantee_claims: list[str]
    instructions: list[str]
    small_talk: list[str]
    business: list[str]
    pressure: list[str] = []
    put_downs: list[str] = []
    rivals: list[str] = []
    cost: list[str] = []
    cost_shown: list[str] = []
    no_rush: list[str] = []  # features only (the learned head reads them; they decide nothing alone)
    refusals: list[str] = []

    def compiled(self) -> dict:
        def group(patterns: list[str]) -> re.Pattern:
            return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        return {
            "questions": {k: group(v) for k, v in self.questions.items()},
            "offers": {k: group(v) for k, v in self.offers.items()},
            "claims": [re.compile(p, re.IGNORECASE) for p in self.claims],
            "claims_en": [re.compile(p, re.IGNORECASE) for p in self.claims_en],
            "guarantee_claims": group(self.guarantee_claims), "instructions": group(self.instructions),
            "small_talk": group(self.small_talk), "business": group(self.business),
            "pressure": group(self.pressure) if self.pressure else None,
            "put_downs": group(self.put_downs) if self.put_downs else None,
            "rivals": group(self.rivals) if self.rivals else None,
            "cost": group(self.cost) if self.cost else None,
            "cost_shown": group(self.cost_shown) if self.cost_shown else None,
            "no_rush": group(self.no_rush) if self.no_rush else None,
            "refusals": group(self.refusals) if self.refusals else None,
        }


@lru_cache(maxsize=1)
def cues() -> dict:
    path = resources.files("coach.data") / "rep_moves.yaml"
    try:
        data = MoveCues.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        unknown = [k for k in data.questions if k not in QUESTION_TOPICS] + [k for k in data.offers if k not in OFFERS]
        if unknown:
            raise ValueError(f"unknown topics or offers {unknown}; use {QUESTION_TOPICS} and {OFFERS}")
        return data.compiled()
    except (yaml.YAMLError, ValidationError, re.error) as exc:
        raise ValueError(f"{path}: invalid rep-move cues: {exc}") from exc


@dataclass(frozen=True)
class RepMove:
    """One reply, read: topics asked (in order), offers made (in order), promises, instruction, small talk,
    pressure to close, sentences that run something down (whose target the persona decides), a cost argument."""

    questions: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()  # the rep's own clauses that promise something concrete, verbatim
    mentions: tuple[str, ...] = field(default=())  # topics and offers the reply talks about without asking
    instruction: bool = False
    small_talk: bool = False
    business: bool = False
    pressure: bool = False
    put_downs: tuple[str, ...] = ()  # sentences with a put-down word ("... is junk", 「……就是垃圾」), verbatim
    cost: bool = False  # "over three years the total cost is lower", 「算下来三年总成本更低」
    cost_shown: bool = False  # ... with its figures, or an offer to work them out (「用您的数据跑一遍试算」)

    @property
    def about_the_deal(self) -> bool:
        return bool(self.questions or self.offers or self.claims or self.mentions or self.business
                    or self.pressure or self.put_downs or self.cost)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


def _claims(text: str, c: dict) -> list[str]:
    out = []
    for clause in _clauses(text):
        zh = all(p.search(clause) for p in c["claims"])
        en = all(p.search(clause) for p in c["claims_en"])
        if (zh or en or c["guarantee_claims"].search(clause)) and 4 <= len(clause) <= 90:
            out.append(clause.rstrip(".。!！ "))
    return out


def read_cues(text: str) -> RepMove:
    """The reply as the cue phrases alone read it: the learned head's input features and its evidence, never the
    decision ("预算的事您不用担心" has the budget cue and asks nothing)."""
    c = cues()
    text = (text or "").strip()
    if not text:
        return RepMove()
    questions: list[str] = []
    offers: list[str] = []
    mentions: list[str] = []
    for sentence in sentences(text) or [text]:
        asking = is_question(sentence) or bool(_ASKING.search(sentence)) and ("?" in sentence or "？" in sentence)
        offering = bool(_OFFERING.search(sentence))
        for offer, pattern in c["offers"].items():
            if pattern.search(sentence):
                stated = offer in {"guarantee", "discount", "contract"}  # saying it is offering it
                (offers if offering or asking or stated else mentions).append(offer)
        for topic, pattern in c["questions"].items():
            if pattern.search(sentence):
                (questions if asking else mentions).append(topic)
    instruction = bool(c["instructions"].search(text))
    put_downs = [s for s in sentences(text) or [text] if c["put_downs"] and c["put_downs"].search(s)]
    return RepMove(
        questions=tuple(dict.fromkeys(questions)), offers=tuple(dict.fromkeys(offers)),
        claims=tuple(_claims(text, c)), mentions=tuple(dict.fromkeys(m for m in mentions if m not in offers)),
        instruction=instruction, small_talk=bool(c["small_talk"].search(text)),
        business=bool(c["business"].search(text)),
        pressure=bool(c["pressure"] and c["pressure"].search(text)), put_downs=tuple(put_downs),
        cost=bool(c["cost"] and c["cost"].search(text)),
        cost_shown=bool(c["cost_shown"] and c["cost"] and c["cost"].search(text) and c["cost_shown"].search(text)))


CUE_FEATURES: tuple[str, ...] = (
    *(f"ask:{t}" for t in QUESTION_TOPICS), *(f"word:{t}" for t in QUESTION_TOPICS),
    *(f"offer:{o}" for o in OFFERS), *(f"word:{o}" for o in OFFERS),
    "instruction", "small_talk", "business", "pressure", "put_down", "rival", "put_down_rival", "cost",
    "cost_shown", "claims", "offering", "asking", "no_rush", "offer_refused", *(f"surface:{n}" for n in SURFACE_NAMES))


def cue_features(text: str, cue: RepMove | None = None) -> dict[str, float]:
    """The cue hits of one reply, by name (``CUE_FEATURES``): what the learned head reads beside the embedding."""
    c = cues()
    text = (text or "").strip()
    cue = cue if cue is not None else read_cues(text)
    words = topics_in(text)
    rivals = c["rivals"]
    out = {f"ask:{t}": float(t in cue.questions) for t in QUESTION_TOPICS}
    out.update({f"word:{t}": float(t in words) for t in QUESTION_TOPICS})
    out.update({f"offer:{o}": float(o in cue.offers) for o in OFFERS})
    out.update({f"word:{o}": float(o in words) for o in OFFERS})
    out.update({
        "instruction": float(cue.instruction), "small_talk": float(cue.small_talk), "business": float(cue.business),
        "pressure": float(cue.pressure), "put_down": float(bool(cue.put_downs)),
        "rival": float(bool(rivals is not None and rivals.search(text))),
        "put_down_rival": float(any(rivals is not None and rivals.search(s) for s in cue.put_downs)),
        "cost": float(cue.cost), "cost_shown": float(cue.cost_shown), "claims": float(bool(cue.claims)),
        "offering": float(bool(_OFFERING.search(text))),
        "asking": float(any(is_question(s) for s in sentences(text) or [text]) or bool(_ASKING.search(text))),
        "no_rush": float(bool(c["no_rush"] and c["no_rush"].search(text))),
        "offer_refused": float(bool(c["refusals"]) and any(
            c["refusals"].search(clause) and any(p.search(clause) for p in c["offers"].values())
            for clause in _clauses(text))),
    })
    out.update({f"surface:{n}": float(v) for n, v in zip(SURFACE_NAMES, surface(text or "."), strict=True)})
    return out


def _ordered(decided: set[str], *evidence: tuple[str, ...]) -> tuple[str, ...]:
    """The decided moves in the order the reply names them (cue positions), the rest after in a fixed order."""
    named = [m for group in evidence for m in group if m in decided]
    return tuple(dict.fromkeys([*named, *sorted(decided)]))


def read_move(text: str) -> RepMove:
    """Read one rep reply (either language): every move decided by the learned head at its held-out threshold,
    the cue reading kept as evidence (the sentences that run a vendor down, topics named without asking) and for
    verbatim promises. The reply's embedding is the one grading already computed (the embedder caches by text).
    Raises ``SetupError`` (what to run) when no rep-move model is installed."""
    from knowledge.understanding.moves import get_moves

    text = (text or "").strip()
    if not text:
        return RepMove()
    cue = read_cues(text)
    model = get_moves()
    decided = model.decide(model.probabilities([text], [cue_features(text, cue)]))[0]
    yes = {move for move, hit in zip(model.moves, decided, strict=True) if hit}
    questions = _ordered({m.split(":", 1)[1] for m in yes if m.startswith("asks:")}, cue.questions, cue.mentions)
    offers = _ordered({m.split(":", 1)[1] for m in yes if m.startswith("offers:")}, cue.offers, cue.mentions)
    named = [*cue.questions, *cue.offers, *cue.mentions]
    put_downs: tuple[str, ...] = ()
    if "put_down" in yes:  # the head decides; the sentences that carry it are the evidence runs_down reads
        put_downs = cue.put_downs or tuple(s for s in sentences(text) or [text]
                                           if cues()["rivals"] is not None and cues()["rivals"].search(s)) \
            or tuple(sentences(text) or [text])
    cost = "cost" in yes
    return RepMove(
        questions=questions, offers=offers, claims=cue.claims,
        mentions=tuple(dict.fromkeys(m for m in named if m not in questions and m not in offers)),
        instruction="instruction" in yes, small_talk="small_talk" in yes, business=cue.business,
        pressure="pressure" in yes, put_downs=put_downs, cost=cost,
        cost_shown=cost and bool(cues()["cost_shown"] and cues()["cost_shown"].search(text)))


def runs_down(move: RepMove, vendor: str, names_another: Callable[[str], bool] | None = None) -> bool:
    """The reply runs down ``vendor`` by name, or rivals in general ("the others are junk", 「别家都不行」), which
    a customer who uses a vendor hears as its own; not a sentence that names another vendor
    (``names_another``): 「简拓SCRM那种东西」 is about 简拓SCRM."""
    rivals = cues()["rivals"]
    for sentence in move.put_downs:
        if vendor and vendor.lower() in sentence.lower():
            return True
        if rivals is not None and rivals.search(sentence) and not (names_another and names_another(sentence)):
            return True
    return False


def topics_in(text: str) -> set[str]:
    """Every question topic and offer a line talks about (used to keep the customer from re-asking them)."""
    c = cues()
    found = {t for t, p in c["questions"].items() if p.search(text or "")}
    return found | {o for o, p in c["offers"].items() if p.search(text or "")}
