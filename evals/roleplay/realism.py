"""Is the simulated customer as responsive as real customers? Relevance of each customer line to the rep line
just before it, for the role-play sessions and for real (agent → customer) pairs (issue 15).

The measure, one for every pair, simulated or real (``Relevance``): the understanding layer's sentence
embedding (the encoder every head reads, ``query`` side) gives cos(seller line, customer line); the pair's
relevance is the share of *reference* customer lines of the same corpus that fit the seller line worse than
the customer's actual line did (ties count half). Reference lines that answered the same seller text, or come
from the same conversation, are left out, so a line is never compared with answers to the very same prompt.

Why this and not the others we measured on real pairs (AUC of the real next line vs a shuffled one from the
same set; JDDC zh / agentune en):

- the layer's pair relevance head, reading the customer line as the "reply": 0.52 / 0.52 on 300 pairs (its
  off-topic, answers-question and quality heads: 0.51-0.53; the reverse reading: 0.51 / 0.53). It was trained
  on rep replies to a concern, and a customer's answer to a rep is not that: it cannot tell a real answer
  from a random one.
- raw cosine of the layer's embeddings: 0.59 / 0.64 on 1,000 pairs, but on a compressed scale (real 0.87,
  shuffled 0.86 in zh) whose level depends on how narrow the corpus's domain is, so "within 10 %" of real
  would hold even for a customer who answers at random, and a role-play about one product would be compared
  on domain tightness, not on listening. Centring the vectors, sentence-level maxima and the passage side
  changed the AUC by at most ±0.02.
- this rank: 0.60 / 0.66 on 1,500 pairs (the cosine's separation, freed of how close a seller line is to
  everything), on a scale that means the same in every corpus: 0.5 = a random customer line of that corpus,
  1 = the best fit of all. A customer who ignores the rep sits at 0.5 (a gap of ≥ 16 % against real customers
  in both languages), one who parrots the rep near 1.

Limits: the separation is modest because most real customer turns are backchannels that fit any seller line
("Yes.", 「好的」), so the report carries the AUC for a reader to weigh the comparison. The role-play's reference
lines answer the other scripted rep lines (ten per language, all about the same deal), a harder reference
than the real sets' answers to a thousand different agent turns: if anything it lowers the simulated figure.
"""

from __future__ import annotations

import csv
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATASETS = {"zh": "jddc-sample-zh", "en": "agentune-insurance-calls"}
TOLERANCE = 0.10  # the simulated mean must lie within 10 % of the real one, either way
CAP = 1500  # real pairs per set (seeded sample): ~6,000 texts to embed on the first run, cached after
REFERENCE = 300  # reference customer lines per corpus
SEED = 15
BATCH = 64


@dataclass(frozen=True)
class Pair:
    """A seller line and the customer line that followed it, with the conversation they come from."""

    seller: str
    customer: str
    conversation: str = ""
    act: str = ""  # for simulated pairs: the act the customer's policy chose for the line


def default_root() -> Path:
    """``../shared/datasets`` beside the project (absent in a user's fresh clone)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


# -- real pairs ------------------------------------------------------------------------------------------

def _join(a: str, b: str, lang: str) -> str:
    if lang == "en":
        return f"{a} {b}"
    return a + b if a[-1:] in "。！？!?，,；;~～…" else f"{a}，{b}"


def consecutive_pairs(turns: Iterable[tuple[str, str, str]], lang: str) -> list[Pair]:
    """(conversation, speaker 'agent'|'customer', text) rows in order → every agent turn followed by a customer
    turn, with consecutive turns of one speaker merged into one."""
    merged: dict[str, list[list[str]]] = defaultdict(list)
    for conversation, speaker, text in turns:
        text = (text or "").strip()
        if not text:
            continue
        rows = merged[conversation]
        if rows and rows[-1][0] == speaker:
            rows[-1][1] = _join(rows[-1][1], text, lang)
        else:
            rows.append([speaker, text])
    return [Pair(a[1], b[1], conversation) for conversation, rows in merged.items()
            for a, b in zip(rows, rows[1:], strict=False) if a[0] == "agent" and b[0] == "customer"]


def jddc_turns(root: Path) -> Iterable[tuple[str, str, str]]:
    """chat.tsv: session, user, speaker (0 customer / 1 agent), three flags, SKU, text."""
    with (root / DATASETS["zh"] / "chat.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 7:
                yield fields[0], "agent" if fields[2] == "1" else "customer", fields[6]


def agentune_turns(root: Path) -> Iterable[tuple[str, str, str]]:
    """messages.csv: conversation_id, timestamp, message, author (Agent / Customer)."""
    with (root / DATASETS["en"] / "messages.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            author = (row.get("author") or "").strip().lower()
            yield row["conversation_id"], "customer" if author == "customer" else "agent", row.get("message") or ""


def real_pairs(lang: str, root: Path, cap: int = CAP, seed: int = SEED) -> list[Pair]:
    turns = jddc_turns(root) if lang == "zh" else agentune_turns(root)
    pairs = consecutive_pairs(turns, lang)
    return random.Random(f"{seed}:{lang}").sample(pairs, cap) if len(pairs) > cap else pairs


def shuffled(pairs: Sequence[Pair], seed: int = SEED) -> list[Pair]:
    """Each seller line with a customer line from another conversation of the same set that answered another
    seller text (a scripted rep line recurs across sessions: its other answers are not random lines)."""
    rng = random.Random(f"{seed}:shuffle")
    order = list(range(len(pairs)))
    rng.shuffle(order)
    out = []
    for i, pair in enumerate(pairs):
        j = order[i]
        for step in range(len(pairs)):  # the next candidate that qualifies (any, if none does)
            k = order[(i + step) % len(pairs)]
            if pairs[k].seller != pair.seller and (pairs[k].conversation != pair.conversation
                                                   or not pair.conversation):
                j = k
                break
        out.append(Pair(pair.seller, pairs[j].customer, f"shuffled:{pair.conversation}"))
    return out


# -- the measure -----------------------------------------------------------------------------------------

class Relevance:
    """Relevance of a customer line to the seller line before it: the share of ``reference`` customer lines
    (pairs from the same corpus) that fit the seller line worse, in the understanding layer's embedding."""

    def __init__(self, reference: Sequence[Pair], model=None, progress: bool = False) -> None:
        if model is None:
            from knowledge.understanding import get_understanding

            model = get_understanding()
        self.embedder = model.embedder
        self.progress = progress
        self.reference = list(reference)
        self._vectors: dict[str, np.ndarray] = {}
        self._ref = self.vectors([p.customer for p in self.reference])

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors as the layer embeds (``query`` side), in batches with a progress bar on stderr."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            from tqdm import tqdm

            bar = tqdm(total=len(missing), desc="realism: embedding", disable=not self.progress, unit="line")
            for start in range(0, len(missing), BATCH):
                chunk = missing[start:start + BATCH]
                for text, vector in zip(chunk, self.embedder.embed(chunk, kind="query"), strict=True):
                    self._vectors[text] = np.asarray(vector, dtype=np.float32)
                bar.update(len(chunk))
            bar.close()
        dim = next(iter(self._vectors.values())).shape[0] if self._vectors else 1
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, dim), dtype=np.float32)

    def __call__(self, seller_line: str, customer_line: str) -> float:
        return float(self.score([Pair(seller_line, customer_line)])[0])

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        if not pairs:
            return np.zeros(0)
        sellers = self.vectors([p.seller for p in pairs])
        customers = self.vectors([p.customer for p in pairs])
        own = np.sum(sellers * customers, axis=1)
        against = sellers @ self._ref.T  # (pairs, reference)
        usable = np.array([[r.customer != p.customer and r.seller != p.seller
                            and (not p.conversation or r.conversation != p.conversation.removeprefix("shuffled:"))
                            for r in self.reference] for p in pairs])
        wins = (own[:, None] > against) + 0.5 * (own[:, None] == against)
        counted = usable.sum(axis=1)
        return np.where(counted > 0, (wins * usable).sum(axis=1) / np.maximum(counted, 1), 0.5)


def auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """P(a positive scores above a negative), ties half (Mann-Whitney)."""
    pos, neg = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    if not len(pos) or not len(neg):
        return None
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return round(float(wins / (len(pos) * len(neg))), 3)


def summary(values: Sequence[float]) -> dict:
    values = [float(v) for v in values]
    if not values:
        return {"n": 0}
    return {"n": len(values), "mean": round(statistics.fmean(values), 4),
            "median": round(statistics.median(values), 4)}


def reference_of(pairs: Sequence[Pair], size: int = REFERENCE, seed: int = SEED) -> list[Pair]:
    rng = random.Random(f"{seed}:reference")
    return rng.sample(list(pairs), size) if len(pairs) > size else list(pairs)


def measure_set(pairs: Sequence[Pair], model=None, progress: bool = False, seed: int = SEED,
                baseline: bool = True) -> dict:
    """Relevance over one corpus's pairs against that corpus's own reference lines; with the shuffled
    baseline and the AUC of real-next vs shuffled-next when ``baseline``."""
    measure = Relevance(reference_of(pairs, seed=seed), model, progress)
    scores = measure.score(pairs)
    out = {**summary(scores), "scores": scores}
    if baseline:
        noise = measure.score(shuffled(pairs, seed))
        out["shuffled"] = summary(noise)
        out["auc_next_vs_shuffled"] = auc(scores, noise)
    return out


# -- the report ------------------------------------------------------------------------------------------

def session_pairs(runs: Iterable[dict], name: str = "session") -> list[Pair]:
    """The (rep reply → next customer line) pairs of played sessions (``run["pairs"]``, see runner.play), with
    the act behind each line when the run kept its acts (``acts[0]`` is the opening's)."""
    out = []
    for i, run in enumerate(runs):
        acts = list(run.get("acts") or [])
        for j, (reply, line) in enumerate(run.get("pairs", [])):
            if reply.strip() and line.strip():
                out.append(Pair(reply, line, f"{name}:{i}", acts[j + 1] if j + 1 < len(acts) else ""))
    return out


def compare(simulated: dict, real: dict) -> dict:
    gap = abs(simulated["mean"] - real["mean"]) / real["mean"] if real.get("mean") else None
    return {"relative_gap": round(gap, 4) if gap is not None else None,
            "within_tolerance": gap is not None and gap <= TOLERANCE,
            "direction": "higher" if simulated["mean"] > real["mean"] else "lower"}


def gap_interval(simulated: np.ndarray, real: np.ndarray, rounds: int = 1000, seed: int = SEED) -> list[float]:
    """95 % bootstrap interval of the signed relative gap (sim − real) / real: is the verdict more than noise?"""
    rng = np.random.default_rng(seed)
    sim = rng.choice(simulated, (rounds, len(simulated))).mean(axis=1)
    ref = rng.choice(real, (rounds, len(real))).mean(axis=1)
    low, high = np.percentile((sim - ref) / ref, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def breakdown(pairs: Sequence[Pair], scores: np.ndarray, key) -> dict:
    """Mean relevance per group (rep line, customer act), lowest first: which lines make the gap."""
    groups: dict[str, list[float]] = defaultdict(list)
    for pair, score in zip(pairs, scores, strict=True):
        groups[key(pair)].append(float(score))
    rows = sorted(groups.items(), key=lambda kv: statistics.fmean(kv[1]))
    return {name: {"n": len(v), "mean": round(statistics.fmean(v), 3)} for name, v in rows if name}


def realism_report(simulated: dict[str, list[Pair]], root: Path | None = None, cap: int = CAP, model=None,
                   progress: bool = False) -> dict:
    """Per language: simulated vs real relevance, the gap, the shuffled baseline, the AUC and n."""
    root = root or default_root()
    out: dict = {"measure": "rank of the customer line's fit (understanding-layer embedding cosine) to the seller "
                            "line among other customer lines of the same corpus; 0.5 = a random line",
                 "tolerance": TOLERANCE}
    missing = [DATASETS[lang] for lang in simulated if not (root / DATASETS[lang]).is_dir()]
    if missing:
        out["skipped"] = (f"{root} has no {', '.join(missing)} (third-party datasets live in ../shared/datasets "
                          "beside the project; a fresh clone has none)")
        return out
    for lang, pairs in simulated.items():
        real = measure_set(real_pairs(lang, root, cap), model, progress)
        sim = measure_set(pairs, model, progress, baseline=True) if pairs else {"n": 0}
        entry = {"dataset": DATASETS[lang],
                 "real": {k: v for k, v in real.items() if k != "scores"},
                 "simulated": {k: v for k, v in sim.items() if k != "scores"}}
        if sim.get("n"):
            entry.update(compare(sim, real))
            entry["signed_gap_ci95"] = gap_interval(sim["scores"], real["scores"])
            entry["by_rep_line"] = breakdown(pairs, sim["scores"], lambda p: p.seller)
            entry["by_customer_act"] = breakdown(pairs, sim["scores"], lambda p: p.act)
            entry["least_relevant"] = _lowest(pairs, sim["scores"])
        out[lang] = entry
    return out


def _lowest(pairs: Sequence[Pair], scores: np.ndarray, k: int = 3) -> list[dict]:
    """The simulated pairs that fit least (distinct customer lines), to show what drives a gap."""
    seen, out = set(), []
    for i in np.argsort(scores):
        if pairs[i].customer in seen:
            continue
        seen.add(pairs[i].customer)
        out.append({"rep": pairs[i].seller, "customer": pairs[i].customer, "relevance": round(float(scores[i]), 3)})
        if len(out) == k:
            break
    return out


def attach_realism(out: dict, by_lang: dict, progress: bool = False, root: Path | None = None,
                   cap: int = CAP) -> None:
    """Add ``out["realism"]`` from the strong and weak sessions the runner already played."""
    simulated = {lang: session_pairs(bucket["strong"] + bucket["weak"], lang) for lang, bucket in by_lang.items()}
    out["realism"] = realism_report(simulated, root=root, cap=cap, progress=progress)


def text_lines(realism: dict) -> list[str]:
    """The figure as lines for the CLI's text output."""
    if "skipped" in realism:
        return [f"realism: skipped: {realism['skipped']}"]
    lines = []
    for lang in ("zh", "en"):
        entry = realism.get(lang)
        if not entry or "relative_gap" not in entry:
            continue
        sim, real = entry["simulated"], entry["real"]
        lines.append(
            f"[{lang}] relevance to the rep's line: simulated {sim['mean']:.3f} (median {sim['median']:.3f}, "
            f"n {sim['n']}) vs real {real['mean']:.3f} (median {real['median']:.3f}, n {real['n']}, "
            f"{entry['dataset']}); gap {entry['relative_gap']:.1%} "
            f"{'within' if entry['within_tolerance'] else 'NOT within'} {realism['tolerance']:.0%} "
            f"(signed 95 % CI {entry['signed_gap_ci95'][0]:+.1%} to {entry['signed_gap_ci95'][1]:+.1%}); "
            f"shuffled {real['shuffled']['mean']:.3f}, AUC next vs shuffled {real['auc_next_vs_shuffled']}")
    return lines
