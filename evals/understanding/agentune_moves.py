"""Real words for the rep-move heads: agent lines of the agentune insurance calls (Apache-2.0, in
``../shared/datasets``), labelled by the rules of ``moves_data/GUIDE.md``. The label file
(``dev/agentune_rep_moves.jsonl``) holds keys only (conversation id, sha1[:8] of the line); the text is read from
the dataset at run time, and halves are split by conversation (``data.dev_half``): figures come from 'test'.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from evals.understanding.data import DEV_DIR, dev_half, read_jsonl, shared_datasets

LABELS = DEV_DIR / "agentune_rep_moves.jsonl"


def load_agentune_moves(root: Path | None = None) -> list[dict]:
    """Labelled agent lines with their text; FileNotFoundError when the dataset is absent (a fresh clone)."""
    path = shared_datasets(root) / "agentune-insurance-calls" / "messages.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the agentune calls are not in ../shared/datasets")
    texts: dict[tuple[str, str], str] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("author") == "Agent":
                text = row["message"]
                texts[(row["conversation_id"], hashlib.sha1(text.encode("utf-8")).hexdigest()[:8])] = text
    rows, stale = [], []
    for number, label in read_jsonl(LABELS):
        text = texts.get((label["conversation"], label["sha"]))
        if text is None:
            stale.append(number)
            continue
        rows.append({**label, "text": text, "lang": "en", "half": dev_half(label["conversation"])})
    if stale:
        raise ValueError(f"{LABELS}: lines {stale[:5]} no longer match the dataset's text (sha1 changed)")
    return rows
