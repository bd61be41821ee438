"""Seeded generator of gold-labelled B2B sales deals, and the CLI that streams them to JSONL.

Every deal is built from its own ``random.Random(f"{seed}:{index}")``, so the output is identical for
the same seed on any machine, deals can be produced one at a time (bounded memory at any scale), and
the industry / segment / outcome mix is balanced by cycling on the index.

The curated sample shipped in ``knowledge/data/sample_deals.jsonl`` is this generator run with
``SAMPLE_SEED`` and ``SAMPLE_SIZE`` by ``python -m evals.corpus.curate``, which then checks it
against the coverage requirements (see ``evals.corpus.stats``). Scale corpora for benchmarks come from
``python -m evals.corpus.generate --deals 100000 --out FILE.jsonl`` with a different default seed and
may never be written into ``knowledge/data``.

Usage::

    python -m evals.corpus.generate --deals 100000 --out /tmp/deals.jsonl --seed 7
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from evals.corpus.templates import CORPUS_INDUSTRIES, LangPack, load_pack
from knowledge.records import DealRecord
from knowledge.taxonomy import SEGMENTS

SAMPLE_SEED = 20240305
SAMPLE_SIZE = 360
SCALE_SEED = 7
OUTCOMES = ("won", "lost", "open")
_GOLDEN = 0.6180339887498949

# How often a rep answers an objection well, by how the deal ended: good handling wins deals.
_P_GOOD = {"won": 0.82, "open": 0.5, "lost": 0.22}
# Which decision signal a customer tends to reveal once an objection of this type is handled well.
_SIGNAL_AFTER = {
    "price": "budget_confirmed", "budget": "budget_confirmed", "authority": "decision_maker_named",
    "timing": "timeline_set", "competitor": "competitor_trial", "terms": "procurement_meeting",
    "implementation": "timeline_set", "trust": "decision_maker_named", "need": None, "stall": "timeline_set",
}
# Objections that come up mid-deal; "stall" mostly closes open deals, so it is rarer here.
_OBJECTION_WEIGHTS = {"price": 5, "budget": 4, "timing": 3, "competitor": 4, "authority": 3,
                      "need": 3, "trust": 3, "terms": 2, "implementation": 3, "stall": 1}
_SEGMENT_OBJECTIONS = {"individual": (1, 2), "smb": (1, 3), "ka": (2, 3)}
_CYCLE_DAYS = {"individual": (2, 21), "smb": (10, 75), "ka": (40, 240)}
_POOR_FOR = {
    "price": ("discount_without_tradeoff", "empty_agreement", "ignore_objection"),
    "budget": ("discount_without_tradeoff", "empty_agreement"),
    "terms": ("discount_without_tradeoff", "empty_agreement", "over_promise"),
    "competitor": ("disparage_competitor", "empty_agreement"),
    "implementation": ("over_promise", "empty_agreement"),
    "trust": ("over_promise", "ignore_objection"),
    "need": ("ignore_objection", "over_promise", "empty_agreement"),
}
MAX_TURNS = 30


class _Slots(dict):
    """Slot values for one deal; a missing slot is a template bug, so fail loudly."""

    def __missing__(self, key: str) -> str:
        raise KeyError(f"template slot {{{key}}} has no value")


def _money(amount: float, lang: str, currency: str) -> str:
    if lang == "zh":
        if amount >= 10000:
            text = f"{amount / 10000:.1f}".rstrip("0").rstrip(".")
            return f"{text}万"
        return f"{int(amount)}元"
    return f"${amount:,.0f}" if currency == "USD" else f"RMB {amount:,.0f}"


def _round(amount: float) -> float:
    step = 1000 if amount >= 10000 else 100
    return max(step, round(amount / step) * step)


class _Deal:
    """Builds one deal's turns; keeps the slot values and the rng in one place."""

    def __init__(self, rng: random.Random, pack: LangPack, industry: str, segment: str, outcome: str):
        self.rng, self.pack, self.lang = rng, pack, pack.lang
        self.industry, self.segment, self.outcome = industry, segment, outcome
        self.ind = pack.industries[industry]
        self.cust = pack.dialogue.customer
        self.rep_lines = pack.dialogue.rep
        self.turns: list[dict] = []

    # -- wording ---------------------------------------------------------------------------------
    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)

    def fill(self, template: str, sentence: bool = True) -> str:
        text = template.format_map(self.slots).strip()
        if "  " in text:
            text = " ".join(text.split())
        if sentence and self.lang == "en" and text[:1].islower():
            text = text[0].upper() + text[1:]
        return text

    def _lower_first(self, text: str) -> str:
        """Lower-case an English template's first word after an opener ("Honestly, we ..."), not "I" or acronyms."""
        first = text.split(" ", 1)[0]
        if self.lang != "en" or not first[:1].isupper() or first == "I" or first.startswith("I'"):
            return text
        if len(first) > 1 and first[1:].isupper():
            return text
        return text[0].lower() + text[1:]

    def _has_opener(self, template: str) -> bool:
        return template.startswith(tuple(self.pack.common.markers))

    def decorate(self, core: str) -> str:
        """Wrap an objection wording with a spoken opener and tail so one idea has many surfaces."""
        common = self.pack.common
        prefix = "" if self._has_opener(core) else self.pick(common.prefixes)
        if prefix.endswith((", ", ": ")):
            core = self._lower_first(core)
        tail = self.pick(common.tails)
        return self.fill(prefix + core + tail)

    def objection_line(self, kind: str, types: list[str]) -> str:
        pool = self.pack.objections.raise_ if kind == "raise" else self.pack.objections.press
        parts = [self.pick(pool[t]) for t in types]
        if len(parts) == 2:
            joiner = self.pick(self.pack.common.connectors)
            second = self._lower_first(parts[1]) if self.lang == "en" else parts[1]
            core = parts[0] + (" " if self.lang == "en" else "") + joiner + second
        else:
            core = parts[0]
        return self.decorate(core)

    # -- turns -----------------------------------------------------------------------------------
    def rep(self, template: str) -> None:
        self.turns.append({"speaker": "rep", "text": self.fill(template)})

    def say(self, act: str, template: str, objections=(), signals=()) -> None:
        """A customer line built from ``template``, with an act-specific spoken opener and closer."""
        decor = self.pack.dialogue.decor.get(act)
        if decor is not None:
            opener = "" if self._has_opener(template) else self.pick(decor.open)
            if opener.endswith((", ", ": ")):
                template = self._lower_first(template)
            template = opener + template + self.pick(decor.close)
        self.customer(act, self.fill(template), objections, signals)

    def customer(self, act: str, text: str, objections=(), signals=(), speaker: str = "customer") -> None:
        self.turns.append({"speaker": speaker, "text": text, "act": act,
                           "objections": list(objections), "signals": list(signals)})

    # -- deal facts ------------------------------------------------------------------------------
    def plan(self) -> dict:
        rng, ind, common, lang = self.rng, self.ind, self.pack.common, self.lang
        currency = "CNY" if lang == "zh" or rng.random() < 0.3 else "USD"
        lo, hi = ind.amount[self.segment]
        amount = _round(rng.uniform(lo, hi) * (7 if lang == "en" and currency == "CNY" else 1))
        budget = _round(amount * rng.uniform(0.45, 0.85))
        competitors = rng.sample(ind.competitors, k=1 if self.segment == "individual" else rng.choice((1, 2)))
        if self.segment == "individual":
            chain = [rng.choice(common.roles_individual)]
        elif self.segment == "smb":
            chain = rng.sample(ind.roles_smb, k=min(len(ind.roles_smb), rng.choice((1, 2, 2, 3))))
        else:
            chain = rng.sample(ind.roles_ka, k=min(len(ind.roles_ka), rng.choice((3, 3, 4))))
        lead = rng.choice(common.lead_sources)
        products = rng.sample(ind.products, k=1 if rng.random() < 0.6 else 2)
        need = rng.choice(ind.needs)
        vendor = competitors[0] if rng.random() < 0.45 else rng.choice(ind.legacy)
        lo_d, hi_d = _CYCLE_DAYS[self.segment]
        cycle = rng.randint(lo_d, hi_d) * (1.4 if self.outcome == "open" else 1.0)
        self.slots = _Slots(
            product=products[0], competitor=competitors[0], vendor=vendor,
            price=_money(amount, lang, currency), budget=_money(budget, lang, currency),
            role=chain[0], month=rng.choice(common.months), weeks=str(rng.randint(2, 12)),
            weekday=rng.choice(common.weekdays), peer=rng.choice(ind.peers), pct=rng.choice(common.pcts),
            need=need, pain=rng.choice(ind.pains), value=rng.choice(ind.value),
            year_term=rng.choice(common.year_terms), busy=rng.choice(self.pack.objections.busy),
            lead=lead.label, lead_clause=lead.clause,
            size=rng.choice(common.company_size[self.segment]), title=rng.choice(ind.titles[self.segment]),
        )
        self.slots["next_step"] = self.fill(rng.choice(self.cust.next_step), sentence=False)
        return {
            "lead_source": lead.label, "core_need": need, "products": products, "amount": amount,
            "currency": currency, "cycle_days": int(cycle), "competitors": competitors,
            "decision_chain": chain, "customer_title": self.slots["title"],
            "company_size": self.slots["size"],
        }

    # -- conversation phases ---------------------------------------------------------------------
    def opening(self) -> None:
        rng, cust = self.rng, self.cust
        self.rep(self.pick(self.rep_lines.open))
        sep = " " if self.lang == "en" else ""
        self.say("greet", self.pick(cust.greet) + sep + self.pick(cust.greet_tail))
        if rng.random() < 0.3:
            self.say("small_talk", self.pick(cust.small_talk))
            self.rep(self.pick(self.rep_lines.small_talk))
        self.rep(self.pick(self.rep_lines.discovery))
        self.say("reveal_fact", self.pick(cust.reveal_pain))
        roll = rng.random()
        if roll < 0.25:  # two customer lines in a row: the customer keeps talking
            self.say("reveal_fact", self.pick(cust.reveal_vendor))
        elif roll < 0.4:
            self.say("reveal_fact", self.pick(cust.reveal_size))
        elif roll < 0.5 and self.slots["vendor"] != self.slots["competitor"]:
            self.say("reveal_fact", self.pick(cust.signal["competitor_trial"]),
                          signals=["competitor_trial"])
        self.rep(self.pick(self.rep_lines.pitch))
        if rng.random() < 0.5:
            pool = self.ind.questions if rng.random() < 0.6 else cust.ask_question
            self.say("ask_question", self.pick(pool))
            self.rep(self.pick(self.rep_lines.answer))

    def handle(self, obj: str, good: bool) -> None:
        if good:
            rl = self.rep_lines
            sep = " " if self.lang == "en" else ""
            parts = [self.pick(rl.ack), self.pick(rl.good[obj]), self.pick(rl.advance)]
            self.rep(sep.join(p for p in parts if p))
        else:
            pattern = self.pick(list(_POOR_FOR.get(obj, ("empty_agreement",))))
            self.rep(self.pick(self.rep_lines.poor[pattern]))

    def reaction_after_good(self, obj: str) -> None:
        rng, cust = self.rng, self.cust
        roll = rng.random()
        signal = _SIGNAL_AFTER[obj]
        if roll < 0.55 or (roll < 0.8 and signal is None):
            self.say("drop_objection", self.pick(self.pack.objections.drop[obj]))
        elif roll < 0.8:
            self.say("reveal_fact", self.pick(cust.signal[signal]), signals=[signal])
            self.rep(self.pick(self.rep_lines.after_reveal))
        else:
            pool = self.ind.questions if rng.random() < 0.5 else cust.ask_question
            self.say("ask_question", self.pick(pool))
            self.rep(self.pick(self.rep_lines.answer))

    def objection_round(self, types: list[str]) -> bool:
        """One objection (or two in one breath) raised, handled, maybe pressed; True when resolved."""
        p_good = _P_GOOD[self.outcome]
        self.customer("raise_objection", self.objection_line("raise", types), objections=types)
        focus = types[-1]
        good = self.rng.random() < p_good
        self.handle(focus, good)
        if good:
            self.reaction_after_good(focus)
            return True
        if self.rng.random() < 0.75:
            self.customer("press_objection", self.objection_line("press", [focus]), objections=[focus])
            good = self.rng.random() < p_good
            self.handle(focus, good)
            if good:
                self.reaction_after_good(focus)
                return True
        return False

    def other_speaker(self) -> None:
        """A KA colleague (finance, IT, procurement) chimes in, as happens in bigger deals."""
        other = self.pack.dialogue.other
        keys = sorted(other)
        key = self.pick(keys)
        text = self.fill(self.pick(other[key]))
        if key == "ask":
            self.customer("ask_question", text, speaker="other")
            self.rep(self.pick(self.rep_lines.answer))
            return
        self.customer("raise_objection", text, objections=[key], speaker="other")
        self.handle(key, self.rng.random() < _P_GOOD[self.outcome])

    def middle(self) -> None:
        rng = self.rng
        lo, hi = _SEGMENT_OBJECTIONS[self.segment]
        count = rng.randint(lo, hi)
        types = list(_OBJECTION_WEIGHTS)
        weights = [_OBJECTION_WEIGHTS[t] for t in types]
        chosen: list[str] = []
        while len(chosen) < count:
            pick = rng.choices(types, weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        rounds: list[list[str]] = []
        if len(chosen) >= 2 and rng.random() < 0.2:
            rounds.append(chosen[:2])
            chosen = chosen[2:]
        rounds += [[t] for t in chosen]
        other_at = rng.randrange(len(rounds)) if self.segment == "ka" and rng.random() < 0.7 else -1
        for i, objection_types in enumerate(rounds):
            if len(self.turns) > 20:
                break
            self.objection_round(objection_types)
            if i == other_at:
                self.other_speaker()

    def ending(self) -> None:
        rng, cust, rl = self.rng, self.cust, self.rep_lines
        if self.outcome == "won":
            signal = rng.choice(("budget_confirmed", "decision_maker_named", "procurement_meeting", "timeline_set"))
            if rng.random() < 0.5:
                self.say("buying_signal", self.pick(cust.buying_signal))
                if rng.random() < 0.5:  # keeps talking: reveals how the decision will be made
                    self.say("reveal_fact", self.pick(cust.signal[signal]), signals=[signal])
            else:
                self.say("buying_signal", self.pick(cust.signal[signal]), signals=[signal])
            self.rep(self.pick(rl.propose_next))
            self.say("agree_next_step", self.pick(cust.agree_next_step),
                          signals=["next_step_agreed"])
            self.rep(self.pick(rl.close_won))
            if rng.random() < 0.5:
                self.say("end_call", self.pick(cust.end_won))
        elif self.outcome == "lost":
            if rng.random() < 0.35:
                self.say("stall", self.pick(cust.stall_final), objections=["stall"])
                self.rep(self.pick(rl.poor["empty_agreement"]))
            self.say("end_call", self.pick(cust.end_lost))
            self.rep(self.pick(rl.close_lost))
        else:
            self.say("stall", self.pick(cust.stall_final), objections=["stall"])
            if rng.random() < 0.55:
                self.handle("stall", rng.random() < 0.6)
                if rng.random() < 0.5:
                    self.customer("stall", self.objection_line("press", ["stall"]), objections=["stall"])
                else:
                    self.customer("stall", self.objection_line("raise", ["stall"]), objections=["stall"])
            self.rep(self.pick(rl.pin_open))

    def build(self) -> list[dict]:
        self.opening()
        self.middle()
        self.ending()
        return self.turns[:MAX_TURNS]


def deal_mix(index: int, seed: int, lang_mix: float) -> tuple[str, str, str, str]:
    """Industry, segment, outcome and language of deal ``index``: balanced cycles, not dice rolls."""
    industries = CORPUS_INDUSTRIES
    industry = industries[index % len(industries)]
    segment = SEGMENTS[(index // len(industries)) % len(SEGMENTS)]
    outcome = OUTCOMES[(index // (len(industries) * len(SEGMENTS))) % len(OUTCOMES)]
    # A golden-ratio sequence gives an English share that tracks lang_mix closely even for small n.
    phase = (seed % 1000) / 1000
    lang = "en" if (index * _GOLDEN + phase) % 1.0 < lang_mix else "zh"
    return industry, segment, outcome, lang


def build_deal(index: int, seed: int, lang_mix: float = 0.25, prefix: str = "gen") -> DealRecord:
    """Deal number ``index`` of the corpus for ``seed``; the same arguments always give the same deal."""
    industry, segment, outcome, lang = deal_mix(index, seed, lang_mix)
    rng = random.Random(f"{seed}:{index}")
    deal = _Deal(rng, load_pack(lang), industry, segment, outcome)
    facts = deal.plan()
    turns = deal.build()
    return DealRecord(deal_id=f"{prefix}-{seed}-{index:06d}", lang=lang, industry=industry, segment=segment,
                      outcome=outcome, turns=turns, **facts)


def generate_deals(n: int, seed: int, lang_mix: float = 0.25, prefix: str = "gen") -> Iterator[DealRecord]:
    """Yield ``n`` validated deals for ``seed`` one at a time (streams; memory does not grow with n)."""
    if not 0.0 <= lang_mix <= 1.0:
        raise ValueError(f"lang_mix must be between 0 and 1, got {lang_mix}")
    for index in range(n):
        yield build_deal(index, seed, lang_mix, prefix)


def write_jsonl(deals, out: Path, total: int | None = None, progress: bool = True) -> int:
    """Stream deals to ``out`` as JSONL (written to a temp file, then renamed, so a re-run is safe)."""
    from tqdm import tqdm

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    count = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for deal in tqdm(deals, total=total, unit="deal", disable=not progress):
            fh.write(deal.model_dump_json(exclude_none=True) + "\n")
            count += 1
    tmp.replace(out)
    return count


def _knowledge_data_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("knowledge.data"))).resolve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.corpus.generate",
        description="Stream a scale corpus of generated deals to JSONL. "
                    "Example: python -m evals.corpus.generate --deals 100000 --out /tmp/deals.jsonl",
    )
    parser.add_argument("--deals", type=int, required=True, help="how many deals to write")
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl file")
    parser.add_argument("--seed", type=int, default=SCALE_SEED, help=f"random seed (default {SCALE_SEED})")
    parser.add_argument("--lang-mix", type=float, default=0.25, help="share of English deals (default 0.25)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    if args.deals < 1:
        parser.error("--deals must be at least 1")
    if not 0.0 <= args.lang_mix <= 1.0:
        parser.error("--lang-mix must be between 0 and 1")
    if args.out.resolve().parent == _knowledge_data_dir() or args.seed == SAMPLE_SEED:
        parser.error("the curated sample is written only by `python -m evals.corpus.curate`; "
                     "write scale corpora elsewhere and with another seed")
    count = write_jsonl(generate_deals(args.deals, args.seed, args.lang_mix, prefix="gen"), args.out,
                        total=args.deals, progress=not args.no_progress)
    print(f"wrote {count} deals to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
