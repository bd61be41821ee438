"""Compare two models on the real dev sets: each figure's difference with a 95 % interval over conversations.

Each side is a predictions file written by ``coach eval understanding --predictions FILE`` (row numbers, labels
and predictions, no dataset text). A change is worth keeping when its tune-half difference is clearly above
zero; a difference whose interval spans zero is noise on these ~400-line halves, however it reads.

    coach eval understanding --predictions before.json      # with the shipped model
    COACH_HOME=/tmp/try coach eval understanding --predictions after.json
    python -m evals.understanding.compare before.json after.json [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evals.understanding.intervals import paired_difference
from evals.understanding.runner import detection_figures, reply_figures


def _aligned(a: list[dict], b: list[dict]) -> tuple[list[dict], list[dict]]:
    """Both sides on the lines they share (same row, same gold label), in one order."""
    by_row = {(r["row"], r["gold"]): r for r in b}
    left = [r for r in a if (r["row"], r["gold"]) in by_row]
    return left, [by_row[(r["row"], r["gold"])] for r in left]


def compare(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> dict:
    """{"set/half": {figure: {"before", "after", "difference", "ci95", "p_not_better"}, "n": lines}}."""
    out: dict = {}
    for key in sorted(set(before) & set(after)):
        a, b = _aligned(before[key], after[key])
        if not a:
            continue
        groups = [r["conversation"] for r in a]
        gold = [r["gold"] for r in a]
        if key.startswith("jddc_replies"):
            fa, fb = reply_figures(gold, [r["pred"] for r in a]), reply_figures(gold, [r["pred"] for r in b])
        else:
            fa = detection_figures(gold, [r["pred"] for r in a])
            fb = detection_figures(gold, [r["pred"] for r in b])
        everything = list(range(len(a)))
        out[key] = {"n": len(a)}
        for name in fa:
            out[key][name] = {"before": round(fa[name](everything), 4), "after": round(fb[name](everything), 4),
                              **paired_difference(groups, fa[name], fb[name])}
    return out


def text_lines(result: dict) -> list[str]:
    lines = []
    for key, figures in result.items():
        for name, f in figures.items():
            if name == "n":
                continue
            lo, hi = f["ci95"]
            verdict = ("no change" if lo == hi == f["difference"] == 0 else "better" if lo > 0
                       else "worse" if hi < 0 else "within noise")
            lines.append(f"{key:28s} {name:14s} {f['before']:.4f} -> {f['after']:.4f}  {f['difference']:+.4f} "
                         f"[{lo:+.4f}, {hi:+.4f}]  {verdict}  (n={figures['n']})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = parser.parse_args(argv)
    try:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in (args.before, args.after))
    except (OSError, ValueError) as error:
        print(f"Cannot read a predictions file ({error}). Write one with: "
              "coach eval understanding --predictions FILE", file=sys.stderr)
        return 2
    result = compare(before, after)
    if not result:
        print("The two files share no real dev lines: were both written by coach eval understanding --predictions?",
              file=sys.stderr)
        return 2
    print(json.dumps(result) if args.json else "\n".join(text_lines(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
