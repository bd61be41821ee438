"""Choose the calibration's prior and temperature on the real dev tune halves: ``python -m
evals.understanding.calibration_sweep``.

Reads P(objection) before calibration for the JDDC and PersuasionForGood tune-half customer lines with the
understanding model in use (``COACH_HOME``'s retrain, else the shipped one), then prints ECE and log-loss for every
(temperature, prior) on the grid. The rule the shipped values follow (``evals.understanding.train``): the lowest
tune ECE among the settings within 1 % of the best tune log-loss. Neither value moves a decision (see
``knowledge.understanding.calibration``), and the test halves are never read here.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

PRIORS = (0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40)
TEMPERATURES = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0)


def tune_half_readings(model=None) -> tuple[np.ndarray, np.ndarray, float]:
    """(P(objection) before calibration, gold is-objection, the model's training share) on both tune halves."""
    from evals.understanding import data as ud
    from knowledge.understanding import get_understanding

    model = model or get_understanding()
    p, y = [], []
    for load in (ud.load_jddc_customer, ud.load_persuasion):
        rows = [r for r in load() if r["half"] == "tune"]
        p += [r._p_raw for r in model.read_customers([r["text"] for r in rows])]
        y += [r["objection"] != "none" for r in rows]
    share = model.calibration.train_share if model.calibration else 0.5
    return np.array(p, dtype=np.float64), np.array(y, dtype=np.float64), share


def sweep(p: np.ndarray, y: np.ndarray, share: float) -> list[dict]:
    """ECE and log-loss per (temperature, prior), with the rule's choice marked ``chosen``."""
    from evals.understanding.runner import ece
    from knowledge.understanding.calibration import PriorShift

    rows = []
    for temperature in TEMPERATURES:
        for prior in PRIORS:
            c = np.clip(PriorShift(prior=prior, train_share=share, temperature=temperature).apply(p), 1e-9, 1 - 1e-9)
            loss = float(-np.mean(y * np.log(c) + (1 - y) * np.log(1 - c)))
            rows.append({"temperature": temperature, "prior": prior, "ece": ece(c, y)[0], "log_loss": round(loss, 4)})
    best = min(r["log_loss"] for r in rows)
    near = [r for r in rows if r["log_loss"] <= best * 1.01]
    min(near, key=lambda r: (r["ece"], r["log_loss"]))["chosen"] = True
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the grid as JSON")
    args = parser.parse_args(argv)
    from evals.understanding import data as ud

    if not ud.dev_available():
        raise SystemExit(f"{ud.shared_datasets()} not found: the sweep needs the real dev sets (../shared/datasets)")
    p, y, share = tune_half_readings()
    rows = sweep(p, y, share)
    if args.json:
        print(json.dumps({"n": len(p), "train_share": share, "grid": rows}))
        return
    print(f"{len(p)} tune-half lines, training share {share}")
    for r in rows:
        print(f"T {r['temperature']:.1f} prior {r['prior']:.2f} ECE {r['ece']:.4f} log-loss {r['log_loss']:.4f}"
              + ("  <- chosen" if r.get("chosen") else ""))


if __name__ == "__main__":
    main()
