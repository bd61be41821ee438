"""``coach eval understanding``: the understanding layer measured on real words first, then on the team's own.

Real dev sets (labelled by us from ../shared/datasets, reported on the conversation-split *test* half):
JDDC customer lines (zh), PersuasionForGood persuadee lines (en), JDDC agent replies (zh). Then language
parity on the parallel set, hard negatives and the team-written held-out split, and calibration (ECE and a
reliability plot) of P(objection).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from evals.grading.metrics import macro_f1, spearman
from evals.understanding import data as ud
from evals.understanding.agreement import agreement
from evals.understanding.intervals import interval
from knowledge.taxonomy import NO_OBJECTION

TARGETS = {"binary_f1_zh": 0.85, "binary_f1_en": 0.80, "type_macro_f1": 0.75, "reply_spearman": 0.70,
           "parity_spearman": 0.85, "parity_gap": 5.0, "hard_negatives_le_20": 0.95, "ece": 0.05}


def binary_f1(gold: list[str], pred: list[str]) -> float:
    tp = sum(g != NO_OBJECTION and p != NO_OBJECTION for g, p in zip(gold, pred, strict=True))
    fp = sum(g == NO_OBJECTION and p != NO_OBJECTION for g, p in zip(gold, pred, strict=True))
    fn = sum(g != NO_OBJECTION and p == NO_OBJECTION for g, p in zip(gold, pred, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def ece(probs: np.ndarray, outcomes: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    """Expected calibration error over equal-width bins, and the bins (for the reliability plot)."""
    edges = np.linspace(0, 1, bins + 1)
    total, rows = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (probs >= lo) & ((probs < hi) if hi < 1 else (probs <= hi))
        if inside.any():
            conf, acc = float(probs[inside].mean()), float(outcomes[inside].mean())
            total += inside.sum() / len(probs) * abs(conf - acc)
            rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(inside.sum()), "confidence": round(conf, 3),
                         "observed": round(acc, 3)})
    return round(float(total), 4), rows


def conversation_of(row: dict) -> str:
    """The conversation a dev row comes from (JDDC session, PersuasionForGood dialogue): the resampling unit."""
    return str(row.get("session") or row.get("dialogue") or "")


def detection_figures(gold: list[str], pred: list[str]) -> dict[str, Callable[[np.ndarray], float]]:
    """The detection figures as functions of the item indices they are computed on (see intervals.py)."""
    return {"binary_f1": lambda idx: binary_f1([gold[i] for i in idx], [pred[i] for i in idx]),
            "type_macro_f1": lambda idx: macro_f1([gold[i] for i in idx], [pred[i] for i in idx])}


def reply_figures(gold: list[float], scores: list[float]) -> dict[str, Callable[[np.ndarray], float]]:
    g, s = np.asarray(gold, dtype=float), np.asarray(scores, dtype=float)
    return {"spearman": lambda idx: spearman(g[idx], s[idx])}


def _detection(model, rows: list[dict], with_intervals: bool = False) -> dict:
    readings = model.read_customers([r["text"] for r in rows])
    gold = [r["objection"] for r in rows]
    pred = [x.objection for x in readings]
    objections = [(g, p) for g, p in zip(gold, pred, strict=True) if g != NO_OBJECTION]
    out = {
        "n": len(rows), "objections": len(objections),
        "binary_f1": round(binary_f1(gold, pred), 4),
        "type_macro_f1": round(macro_f1(gold, pred), 4),
        "type_accuracy_on_objections": round(sum(g == p for g, p in objections) / max(1, len(objections)), 4),
        "p_objection": [x.p_objection for x in readings], "gold_objection": [g != NO_OBJECTION for g in gold],
        "errors": [{"text": r["text"][:60], "gold": g, "pred": p} for r, g, p in zip(rows, gold, pred, strict=True)
                   if g != p][:15],
    }
    if with_intervals:  # real dev rows: resampled by conversation; the items let two models be compared
        groups = [conversation_of(r) for r in rows]
        for name, figure in detection_figures(gold, pred).items():
            out[f"{name}_ci95"] = interval(groups, figure)
        out["items"] = [{"row": r["row"], "conversation": c, "gold": g, "pred": p, "p_objection": x.p_objection}
                        for r, c, g, p, x in zip(rows, groups, gold, pred, readings, strict=True)]
    return out


def _grade(model, pairs: list[tuple[str, str]], weights=None) -> list[int]:
    return model.score(model.read_replies(pairs), weights)


def unsure_figures(gold: list[float], scores: list[int], unsure: list[bool], miss: float = 25.0) -> dict:
    """How well the "unsure grade" mark finds the grades that are far off (more than ``miss`` points from the
    label): the share of replies marked, the share of misses among marked and unmarked replies, the share
    of all misses that are marked, and which way the marked misses go (gates treat the two ways differently)."""
    off = np.asarray(scores, dtype=float) - np.asarray(gold, dtype=float)
    far = np.abs(off) > miss
    marked = np.asarray(unsure, dtype=bool)

    def share(mask: np.ndarray) -> float | None:
        return round(float(far[mask].mean()), 4) if mask.any() else None

    return {"marked": round(float(marked.mean()), 4) if len(marked) else 0.0, "miss_points": miss,
            "misses_among_marked": share(marked), "misses_among_unmarked": share(~marked),
            "misses_marked": round(float(marked[far].mean()), 4) if far.any() else None,
            "marked_too_low": share_of(marked, off < -miss), "marked_too_high": share_of(marked, off > miss)}


def share_of(mask: np.ndarray, event: np.ndarray) -> float | None:
    """The share of the rows under ``mask`` where ``event`` holds (None when the mask is empty)."""
    return round(float(event[mask].mean()), 4) if mask.any() else None


def real_dev(model, root: Path | None = None) -> dict:
    out: dict = {}
    for name, loader in (("jddc_customer_zh", ud.load_jddc_customer), ("persuasion_en", ud.load_persuasion)):
        rows = loader(root)
        out[name] = {half: _detection(model, [r for r in rows if r["half"] == half], with_intervals=True)
                     for half in ("tune", "test")}
    replies = ud.load_jddc_replies(root)
    out["jddc_replies_zh"] = {}
    for half in ("tune", "test"):
        part = [r for r in replies if r["half"] == half]
        readings = model.read_replies([(r["customer"], r["reply"]) for r in part])
        scores = model.score(readings)
        gold = [r["score"] for r in part]
        groups = [conversation_of(r) for r in part]
        out["jddc_replies_zh"][half] = {"n": len(part),
                                        "spearman": round(spearman(gold, scores), 4),
                                        "unsure": unsure_figures(gold, scores, [x.unsure for x in readings]),
                                        "spearman_ci95": interval(groups, reply_figures(gold, scores)["spearman"]),
                                        "mean_gold": round(float(np.mean(gold)), 1),
                                        "mean_pred": round(float(np.mean(scores)), 1),
                                        "items": [{"row": r["row"], "conversation": c, "gold": r["score"], "pred": s}
                                                  for r, c, s in zip(part, groups, scores, strict=True)]}
    return out


def parity(model) -> dict:
    rows = ud.load_parallel()
    if not rows:
        return {"n": 0}
    zh = _grade(model, [(r["zh"]["customer"], r["zh"]["reply"]) for r in rows])
    en = _grade(model, [(r["en"]["customer"], r["en"]["reply"]) for r in rows])
    gold = [r["score"] for r in rows]
    return {"n": len(rows), "spearman_zh_en": round(spearman(zh, en), 4),
            "mean_gap_zh_minus_en": round(float(np.mean(zh) - np.mean(en)), 2),
            "spearman_zh_gold": round(spearman(zh, gold), 4), "spearman_en_gold": round(spearman(en, gold), 4)}


def team_heldout(model) -> dict:
    """Figures on the team-written held-out split (labelled so: the same team wrote the training data)."""
    lines = [r for r in ud.load_customer_lines() if ud.split_of(r["text"]) == "heldout"
             and r["source"].startswith("customer_")]
    pairs = [r for r in ud.load_pairs() if ud.split_of(r["customer"]) == "heldout" and r["source"].startswith("pairs_")]
    out: dict = {}
    for lang in ("zh", "en"):
        part = [r for r in lines if r["lang"] == lang]
        if part:
            found = _detection(model, part)
            out[f"customer_{lang}"] = {k: found[k] for k in ("n", "binary_f1", "type_macro_f1")}
        pp = [r for r in pairs if r["lang"] == lang]
        if pp:
            readings = model.read_replies([(r["customer"], r["reply"]) for r in pp])
            scores = model.score(readings)
            gold = [r["score"] for r in pp]
            out[f"pairs_{lang}"] = {"n": len(pp), "spearman": round(spearman(gold, scores), 4),
                                    "unsure": unsure_figures(gold, scores, [x.unsure for x in readings])}
            hard = [s for r, s in zip(pp, scores, strict=True) if r["kind"] in ud.HARD_NEGATIVES]
            out[f"hard_negatives_{lang}"] = {"n": len(hard),
                                             "share_le_20": round(sum(s <= 20 for s in hard) / max(1, len(hard)), 4)}
    return out


def old_heldout(model) -> dict:
    """The grading eval's original held-out split (written by the team before the playbooks)."""
    from evals.grading.runner import load_rows

    out = {}
    objections, replies = load_rows("objections", "heldout"), load_rows("replies", "heldout")
    for lang in ("zh", "en"):
        items = [r for r in objections if r["lang"] == lang]
        readings = model.read_customers([r["text"] for r in items])
        pred = [x.objection for x in readings]
        gold = [p if p in r["objections"] else r["objections"][0] for r, p in zip(items, pred, strict=True)]
        rr = [r for r in replies if r["lang"] == lang]
        scores = _grade(model, [(r["customer"], r["reply"]) for r in rr])
        out[lang] = {"detection_macro_f1": round(macro_f1(gold, pred), 4),
                     "grading_spearman": round(spearman([r["score"] for r in rr], scores), 4)}
    return out


def reliability_plot(bins: list[dict], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.plot([b["confidence"] for b in bins], [b["observed"] for b in bins], "o-", label="P(objection)")
    ax.set_xlabel("predicted P(objection)")
    ax.set_ylabel("observed share of objections")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def run(model=None, root: Path | None = None, plot_dir: Path | None = None,
        predictions: Path | None = None) -> dict:
    """Every figure of the issue, real words first; dev-set parts are skipped (with a reason) without ../shared.

    ``predictions``: where to write the per-line predictions on the real dev sets (row numbers and labels, no
    dataset text), which ``python -m evals.understanding.compare`` reads to compare two models."""
    from knowledge.understanding import get_understanding

    model = model or get_understanding()
    report: dict = {"targets": TARGETS}
    calibration_p, calibration_y = [], []
    tune_p, tune_y = [], []  # decisions are taken on the tune halves: their ECE is reported beside the test's
    if ud.dev_available(root):
        dev = real_dev(model, root)
        for name in ("jddc_customer_zh", "persuasion_en"):
            test = dev[name]["test"]
            calibration_p += test.pop("p_objection")
            calibration_y += test.pop("gold_objection")
            tune_p += dev[name]["tune"].pop("p_objection")
            tune_y += dev[name]["tune"].pop("gold_objection")
        items = {f"{name}/{half}": dev[name][half].pop("items") for name in dev for half in ("tune", "test")}
        if predictions is not None:
            predictions.parent.mkdir(parents=True, exist_ok=True)
            predictions.write_text(json.dumps(items), encoding="utf-8")
        report["real_dev"] = dev
        report["annotator_agreement"] = agreement(root)
    else:
        report["real_dev"] = {"skipped": f"{ud.shared_datasets(root)} not found (a fresh clone has no ../shared)"}
    report["parity"] = parity(model)
    report["team_heldout"] = team_heldout(model)
    report["team_original_heldout"] = old_heldout(model)
    from evals.understanding.moves_eval import rep_moves_report

    report["rep_moves"] = rep_moves_report()  # what the policy reads from a rep's reply (moves_eval.py)
    if calibration_p:
        value, bins = ece(np.array(calibration_p), np.array(calibration_y, dtype=float))
        report["calibration"] = {"ece_real_test": value, "n": len(calibration_p),
                                 "ece_real_tune": ece(np.array(tune_p), np.array(tune_y, dtype=float))[0],
                                 "bins": bins}
        if plot_dir is not None:
            report["calibration"]["plot"] = str(reliability_plot(
                bins, plot_dir / "reliability-objection.png", f"P(objection) on real test halves, ECE {value}"))
    return report
