"""Chinese real words for the rep-move heads: the JDDC agent replies of the dev set (``dev/jddc_replies.jsonl``),
labelled by the rules of ``moves_data/GUIDE.md``. JD.com service agents are the closest real Chinese to a rep's
typing we have; the licence allows evaluation and labelling only, so the label file
(``dev/jddc_rep_moves.jsonl``) holds keys only (session, row of ``chat.tsv``, sha1[:8] of the line) and the text is
read from ``../shared/datasets`` at run time. Halves are split by session (``data.dev_half``): figures come from
'test', 'tune' is for choosing.
"""

from __future__ import annotations

from pathlib import Path

from evals.understanding.data import DEV_DIR, _jddc_lines, _sha, dev_half, read_jsonl, shared_datasets

LABELS = DEV_DIR / "jddc_rep_moves.jsonl"


def load_jddc_moves(root: Path | None = None, labels: Path = LABELS) -> list[dict]:
    """Labelled agent replies with their text; FileNotFoundError when the dataset is absent (a fresh clone),
    ValueError naming the label lines whose row no longer holds the labelled text (a changed chat.tsv)."""
    path = shared_datasets(root) / "jddc-sample-zh" / "chat.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the JDDC sample is not in ../shared/datasets")
    lines = _jddc_lines(shared_datasets(root))
    rows, stale = [], []
    for number, label in read_jsonl(labels):
        index = label["row"]
        text = lines[index][6].strip() if 0 <= index < len(lines) and len(lines[index]) > 6 else None
        if text is None or _sha(text) != label["sha"]:
            stale.append(number)
            continue
        rows.append({**label, "text": text, "lang": "zh", "half": dev_half(label["session"])})
    if stale:
        raise ValueError(f"{labels}: lines {stale[:5]} no longer match chat.tsv (sha1 changed); "
                         "re-label them or restore the dataset")
    return rows
