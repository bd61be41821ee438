"""Load the understanding layer's labelled data: team-written training files and real-word dev sets.

Team files live in ``evals/understanding/data`` (validated here: a bad row names its file and line). Dev-set
label files in ``evals/understanding/dev`` hold keys only; the text is read from ``../shared/datasets`` at
run time, and a row whose text no longer matches its sha is reported, not silently used.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from knowledge.taxonomy import ANTI_PATTERNS, NO_OBJECTION, OBJECTION_TYPES, STEPS
from knowledge.understanding.model import SIGNALS

HERE = Path(__file__).parent
DATA_DIR = HERE / "data"
DEV_DIR = HERE / "dev"
GRADING_DIR = HERE.parent / "grading" / "data"
CLASSES = (*OBJECTION_TYPES, NO_OBJECTION)
KINDS = ("good", "ok", "weak", "keyword_stuffing", "off_topic", "apology_only", "deflection",
         "discount_no_tradeoff", "blunt_correct", "padded")
HARD_NEGATIVES = ("keyword_stuffing", "off_topic", "deflection", "apology_only")


class DataError(ValueError):
    """A labelled row that does not validate; the message names the file, line and field."""


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def split_of(key: str, heldout_every: int = 5) -> str:
    """'heldout' for one key in ``heldout_every`` (by sha1), else 'train': the same key always lands alike."""
    return "heldout" if int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % heldout_every == 0 else "train"


def dev_half(conversation: str) -> str:
    """Dev sets split by conversation: even sha1 → 'tune', odd → 'test' (figures come from 'test' only)."""
    return "tune" if int(hashlib.sha1(conversation.encode("utf-8")).hexdigest()[:8], 16) % 2 == 0 else "test"


def read_jsonl(path: Path) -> Iterable[tuple[int, dict]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} line {number}: not valid JSON ({exc.msg})") from exc
        if isinstance(row, dict) and "_meta" not in row:
            yield number, row


def _need(row: dict, field: str, allowed, path: Path, number: int):
    value = row.get(field)
    ok = value in allowed if not isinstance(value, list) else all(v in allowed for v in value)
    if not ok:
        raise DataError(f"{path} line {number}: field {field!r} = {value!r}; allowed: {', '.join(map(str, allowed))}")
    return value


def load_customer_lines(folder: Path = DATA_DIR) -> list[dict]:
    """Team-written customer lines (``customer_*.jsonl``) plus the grading tune split's objections."""
    rows = []
    for path in sorted(folder.glob("customer_*.jsonl")):
        for number, row in read_jsonl(path):
            text = str(row.get("text", "")).strip()
            if not text:
                raise DataError(f"{path} line {number}: field 'text' is empty")
            rows.append({
                "text": text, "lang": _need(row, "lang", ("zh", "en"), path, number),
                "objection": _need(row, "objection", CLASSES, path, number),
                "signals": _need(row, "signals", SIGNALS, path, number) if row.get("signals") else [],
                "sentiment": _need(row, "sentiment", (-1, 0, 1), path, number),
                "question": bool(row.get("question")), "register": row.get("register", ""),
                "source": path.name,
            })
    grading = GRADING_DIR / "objections_tune.jsonl"
    if folder == DATA_DIR and grading.is_file():
        for _number, row in read_jsonl(grading):
            rows.append({"text": row["text"], "lang": row["lang"], "objection": row["objections"][0],
                         "signals": None, "sentiment": None, "question": None, "register": "b2b_call",
                         "source": grading.name})
    return rows


def load_vote_pairs(folder: Path = DATA_DIR) -> list[dict]:
    """Team-written pairs that only the nearest-pairs vote reads (``vote_pairs_*.jsonl``, the pairs schema).

    320 English hard negatives balance the vote (the Chinese files hold twice as many); as training data for
    the linear heads they pulled the JDDC tune half's reply Spearman from 0.44 to 0.39, so the heads skip them.
    ``vote_pairs_nonanswers.jsonl`` adds 90 in-domain non-answers in both languages (an upsell or small talk
    after a service request, 「以…为准」 / "see the policy" deflections) that the linear heads read as relevant.
    """
    return load_pairs(folder, "vote_pairs_*.jsonl", with_grading=False)


def load_pairs(folder: Path = DATA_DIR, pattern: str = "pairs_*.jsonl", with_grading: bool = True) -> list[dict]:
    """Team-written (customer, reply) pairs (``pairs_*.jsonl``) plus the grading tune split's replies."""
    rows = []
    for path in sorted(folder.glob(pattern)):
        for number, row in read_jsonl(path):
            for field in ("customer", "reply"):
                if not str(row.get(field, "")).strip():
                    raise DataError(f"{path} line {number}: field {field!r} is empty")
            score = row.get("score")
            if not isinstance(score, int | float) or not 0 <= score <= 100:
                raise DataError(f"{path} line {number}: field 'score' = {score!r}; give a number 0-100")
            answers = row.get("answers_question")
            rows.append({
                "customer": row["customer"].strip(), "reply": row["reply"].strip(),
                "lang": _need(row, "lang", ("zh", "en"), path, number),
                "objection": _need(row, "objection", CLASSES, path, number),
                "steps": _need(row, "steps", STEPS, path, number) if row.get("steps") else [],
                "anti_patterns": _need(row, "anti_patterns", ANTI_PATTERNS, path, number)
                if row.get("anti_patterns") else [],
                "relevance": _need(row, "relevance", (0, 1, 2), path, number),
                "answers_question": None if answers is None else bool(answers),
                "customer_question": bool(row.get("customer_question")),
                "score": float(score), "kind": _need(row, "kind", KINDS, path, number),
                "register": row.get("register", ""), "source": path.name,
            })
    grading = GRADING_DIR / "replies_tune.jsonl"
    if with_grading and folder == DATA_DIR and grading.is_file():
        for _number, row in read_jsonl(grading):
            rows.append({"customer": row["customer"], "reply": row["reply"], "lang": row["lang"],
                         "objection": row["objection"], "steps": row["steps"], "anti_patterns": None,
                         "relevance": None, "answers_question": None, "customer_question": None,
                         "score": float(row["score"]), "kind": "good" if row["score"] >= 60 else "weak",
                         "register": "b2b_call", "source": grading.name})
    return rows


def load_parallel(folder: Path = DATA_DIR) -> list[dict]:
    path = folder / "parallel.jsonl"
    if not path.is_file():
        return []
    rows = []
    for number, row in read_jsonl(path):
        for lang in ("zh", "en"):
            side = row.get(lang) or {}
            if not side.get("customer") or not side.get("reply"):
                raise DataError(f"{path} line {number}: field {lang!r} needs 'customer' and 'reply'")
        rows.append(row)
    return rows


# -- real-word dev sets ------------------------------------------------------------------------------------

def shared_datasets(root: Path | None = None) -> Path:
    return root or HERE.parents[1].parent / "shared" / "datasets"


def _jddc_lines(root: Path) -> list[list[str]]:
    path = root / "jddc-sample-zh" / "chat.tsv"
    return [line.rstrip("\n").split("\t") for line in path.read_text(encoding="utf-8").splitlines()]


def load_jddc_customer(root: Path | None = None) -> list[dict]:
    """Labelled JDDC customer lines with their text (skipping any whose text no longer matches its sha)."""
    root = shared_datasets(root)
    lines = _jddc_lines(root)
    out = []
    for _number, row in read_jsonl(DEV_DIR / "jddc_customer.jsonl"):
        text = lines[row["row"]][6].strip()
        if _sha(text) == row["sha"]:
            out.append({**row, "text": text, "lang": "zh", "half": dev_half(row["session"])})
    return out


def load_jddc_replies(root: Path | None = None) -> list[dict]:
    root = shared_datasets(root)
    lines = _jddc_lines(root)
    out = []
    for _number, row in read_jsonl(DEV_DIR / "jddc_replies.jsonl"):
        reply = lines[row["row"]][6].strip()
        if _sha(reply) != row["sha"]:
            continue
        customer = "，".join(lines[r][6].strip() for r in row["customer_rows"])
        out.append({**row, "customer": customer, "reply": reply, "lang": "zh", "half": dev_half(row["session"])})
    return out


def load_persuasion(root: Path | None = None) -> list[dict]:
    root = shared_datasets(root)
    with (root / "persuasionforgood-en" / "dialogs.csv").open(encoding="utf-8", newline="") as handle:
        texts = [r["text"].strip() for r in csv.DictReader(handle)]
    out = []
    for _number, row in read_jsonl(DEV_DIR / "persuasion_persuadee.jsonl"):
        text = texts[row["row"]]
        if _sha(text) == row["sha"]:
            out.append({**row, "text": text, "lang": "en", "half": dev_half(row["dialogue"])})
    return out


def dev_available(root: Path | None = None) -> bool:
    root = shared_datasets(root)
    return (root / "jddc-sample-zh" / "chat.tsv").is_file() and (root / "persuasionforgood-en" / "dialogs.csv").is_file()
