"""The data and figures block of the rep-move heads' card (``moves_data/CARD.md``), rewritten by
``python -m evals.understanding.train_moves --ship`` from the data it trained on and a fresh ``moves_eval`` report of
the artefact it wrote, so the shipped card cannot drift from the shipped weights. Text outside the block
(what the model is, known failure modes) stays hand-written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from evals.understanding.data import DataError

START = "<!-- figures: written by `python -m evals.understanding.train_moves --ship`; edit outside this block -->"
END = "<!-- /figures -->"
_SETS = (("heldout_team_written", "held-out, written by the team"),
         ("agentune_tune_real_words", "agentune insurance calls, agent lines, tune half (real words; used for choosing)"),
         ("agentune_test_real_words", "agentune insurance calls, agent lines, test half (real words; reported only)"),
         ("jddc_tune_real_words", "JDDC zh service-agent replies, tune half (real words; used for choosing)"),
         ("jddc_test_real_words", "JDDC zh service-agent replies, test half (real words; reported only)"))


def _cell(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def figures_block(rows: Sequence[dict], report: dict) -> str:
    """Markdown: what the heads were trained on, then the eval figures head beside cue list, per set and per move."""
    langs = Counter(r["lang"] for r in rows)
    registers = Counter(r.get("register") or "unspecified" for r in rows)
    lines = [START, "",
             f"**Data.** {len(rows):,} rep lines that the team wrote ({langs['zh']:,} zh, {langs['en']:,} en; "
             f"zh share {langs['zh'] / max(1, len(rows)):.0%}), by register: "
             + ", ".join(f"{name} {count}" for name, count in registers.most_common()) + ". "
             "None comes from a real conversation. The held-out split is 1 line in 5, chosen by the sha1 of the text "
             "(`evals.understanding.data.split_of`); the shipped heads were fitted on the training split only, so the "
             "held-out figures below describe the shipped model.", "",
             "**Figures** (`python -m evals.understanding.moves_eval --json`)", "",
             "| set | lines | macro F1 model | macro F1 cue list | all moves right, model | all moves right, cue list |",
             "|---|---|---|---|---|---|"]
    present = [(key, label) for key, label in _SETS if report.get(key, {}).get("lines")]
    for key, label in present:
        s = report[key]
        by_lang = ", ".join(f"{lang} {s[f'macro_f1_{lang}']:.2f}" for lang in ("zh", "en") if f"macro_f1_{lang}" in s)
        model = f"{s['macro_f1']:.2f}" + (f" ({by_lang})" if key.startswith("heldout") and by_lang else "")
        lines.append(f"| {label} | {s['lines']} | {model} | {s['macro_f1_cues']:.2f} | {s['exact']:.2f} | "
                     f"{s['exact_cues']:.2f} |")
    lines += ["", "Per move F1, model / cue list (– : no line has the move and none was predicted):", "",
              "| move | " + " | ".join(label.split(" (")[0] for _, label in present) + " |",
              "|---|" + "---|" * len(present)]
    for move in report[present[0][0]]["f1"] if present else []:
        lines.append(f"| `{move}` | " + " | ".join(
            f"{_cell(report[key]['f1'][move])} / {_cell(report[key]['f1_cues'][move])}" for key, _ in present) + " |")
    return "\n".join([*lines, "", END])


def write_moves_card(card: Path, rows: Sequence[dict], report: dict) -> None:
    """Replace the block between the markers in ``card``; a card without them is an error naming the fix."""
    text = Path(card).read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise DataError(f"{card}: no figures block; put the lines {START!r} and {END!r} where the figures go")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    Path(card).write_text(head + figures_block(rows, report) + tail, encoding="utf-8")
