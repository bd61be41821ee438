"""Find third-party dataset text copied into the project: every line of ../shared/datasets long enough to be
someone's own words, looked up verbatim (after normalising) in the project's text files.

    python -m evals.dataset_leaks [--min-chars 8] [--min-words 8] [--json] [--show] [--datasets PATH]

The datasets are for evaluation only (their README): label files keep a row number and a sha, never the text.
A hit prints ``file:line``, the dataset, its row (0-based line of chat.tsv; 0-based record of the two CSVs, as
the label files count) and the matched length in normalised characters, not the text (``--show`` adds it, for
a reviewer's terminal). Exit code 1 when there are hits, 2 when the datasets are absent.

What counts as a line. Each dataset turn, and each sentence of it (a JDDC turn often joins clauses with
spaces), so quoting one sentence of a long turn is found too. A unit counts when
``CJK characters / min_chars + Latin-script words / min_words >= 1``. Why 8 and 8: every chat shares short
stock lines (thanks, okay, "are you there?") of 2-5 characters or 1-5 words, and a team member who writes
service dialogue writes them too. Measured on this repo (Nov 2026): at 6 English words 37 distinct English
units were found, nearly all small talk any writer produces (greetings, "have a nice day" closings, "sorry to
hear that"); at 8 words 4 remained, two of them lines quoted from a call. Chinese service language is longer
and more formulaic: at 6-7 characters 69 distinct phrases were found, all everyday shop-chat phrases (thanks
for understanding, when does it ship, cancel my order) but one; from 8 on, a hit is either a quote or a whole
service formula (greeting, closing, thanks for waiting). Formulas of the trade are not anyone's own words: a
person judged each one and listed it, by sha1 of its normalised text and its dataset row (never the text), in
``dataset_leaks_reviewed.jsonl``; the scan skips those. The one short copy (a 6-character reply taken with its
question into a test) showed only in context: look for such copies by hand with ``--min-chars 5 --show``.

Normalising: NFKC, case-folded, apostrophes dropped, the datasets' masks ([数字x], [PERSON_NAME]) dropped,
punctuation and whitespace removed, except one space between two Latin words (so a match starts and ends on a
word boundary). ``\\uXXXX`` escapes are decoded first (JSON written with ensure_ascii). Matching is a dict
keyed by each unit's first characters, probed at every token start of every file: seconds for the whole repo.
Files scanned: tracked and untracked-but-not-ignored (``git ls-files -co --exclude-standard``), so a file not
yet committed is checked too.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from evals.roleplay.realism import agentune_turns, default_root, jddc_turns

ROOT = Path(__file__).resolve().parents[1]
REVIEWED = Path(__file__).with_name("dataset_leaks_reviewed.jsonl")
SUFFIXES = (".py", ".md", ".jsonl", ".json", ".yaml", ".yml", ".txt", ".csv")
MIN_CHARS = 8  # CJK characters
MIN_WORDS = 8  # Latin-script words
PREFIX = 8  # characters of a unit used as its dict key (shorter units use their whole length)

_MASK = re.compile(r"\[[A-Z][A-Z_]*\]|\[[\u4e00-\u9fff]{1,6}x\]")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_TOKEN = re.compile(r"[0-9a-z\u00c0-\u024f]+|[^\W_]")
_LATIN = re.compile(r"[0-9a-z\u00c0-\u024f]")
_SENTENCE = re.compile(r"[。！？!?；;~～…\n]+|(?<=[.])\s+")
_CJK_GAP = re.compile(r"\s+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Hit:
    """One dataset unit found in a project file: where, which dataset row, how long (normalised characters)."""

    path: str
    line: int
    dataset: str
    row: int
    length: int
    text: str = ""  # the normalised match, filled only for ``--show`` (a reviewer's terminal, never a file)


def _tokens(text: str) -> list[str]:
    text = _MASK.sub(" ", unicodedata.normalize("NFKC", text))  # masks are upper case: drop them before folding
    return _TOKEN.findall(text.casefold().replace("'", "").replace("\u2019", ""))


def _is_latin(token: str) -> bool:
    return bool(_LATIN.match(token))


def normalise(text: str) -> str:
    """The text as matched: tokens joined, one space only between two Latin words."""
    out, prev_latin = [], False
    for token in _tokens(text):
        latin = _is_latin(token)
        out.append(" " + token if latin and prev_latin else token)
        prev_latin = latin
    return "".join(out)


def unit_sha(unit: str) -> str:
    """How the reviewed list names a normalised unit without holding its text."""
    return hashlib.sha1(unit.encode("utf-8")).hexdigest()[:12]


def load_reviewed(path: Path = REVIEWED) -> set[str]:
    """The shas of units a person judged to be formulas of the trade, not anyone's own words.

    Each row: ``{"sha": ..., "dataset": ..., "row": ..., "why": ...}``; a bad row names its line."""
    from evals.understanding.data import read_jsonl

    if not path.is_file():
        return set()
    shas = set()
    for number, row in read_jsonl(path):
        if not re.fullmatch(r"[0-9a-f]{12}", str(row.get("sha", ""))) or not row.get("why"):
            raise ValueError(f"{path} line {number}: needs 'sha' (12 hex digits, unit_sha) and 'why'")
        shas.add(row["sha"])
    return shas


def weight(unit: str, min_chars: int = MIN_CHARS, min_words: int = MIN_WORDS) -> float:
    """How much of the threshold a normalised unit reaches; it counts at >= 1 (CJK characters and Latin words
    add up, so a mixed line of 4 characters and 4 words counts too)."""
    tokens = _TOKEN.findall(unit)
    words = sum(map(_is_latin, tokens))
    return (len(tokens) - words) / min_chars + words / min_words


def units(text: str) -> set[str]:
    """The normalised line and each of its sentences (CJK lines also split at spaces)."""
    parts = {text}
    for piece in _SENTENCE.split(text):
        parts.add(piece)
        if _HAS_CJK.search(piece):
            parts.update(_CJK_GAP.split(piece))
    return {n for n in map(normalise, parts) if n}


# -- the datasets ----------------------------------------------------------------------------------------

def _persuasion(root: Path) -> Iterator[str]:
    with (root / "persuasionforgood-en" / "dialogs.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row.get("text") or ""


DATASETS = {
    "jddc-sample-zh": lambda root: (text for _c, _s, text in jddc_turns(root)),
    "persuasionforgood-en": _persuasion,
    "agentune-insurance-calls": lambda root: (text for _c, _s, text in agentune_turns(root)),
}


def dataset_lines(root: Path) -> Iterator[tuple[str, int, str]]:
    """(dataset, 0-based row among its text rows, text) for every turn of the three datasets."""
    for name, read in DATASETS.items():
        for row, text in enumerate(read(root)):
            yield name, row, text


def build_index(lines: Iterable[tuple[str, int, str]], min_chars: int = MIN_CHARS, min_words: int = MIN_WORDS,
                reviewed: frozenset[str] | set[str] = frozenset()) -> tuple[dict[str, list[tuple[str, str, int]]], int]:
    """Units long enough to count and not reviewed as formulas, keyed by their first ``prefix`` characters;
    returns (index, prefix)."""
    found: dict[str, tuple[str, int]] = {}
    for name, row, text in lines:
        for unit in units(text):
            if unit not in found and weight(unit, min_chars, min_words) >= 1:
                found[unit] = (name, row)
    if reviewed:
        found = {unit: where for unit, where in found.items() if unit_sha(unit) not in reviewed}
    prefix = min([PREFIX, *map(len, found)])
    index: dict[str, list[tuple[str, str, int]]] = {}
    for unit, (name, row) in found.items():
        index.setdefault(unit[:prefix], []).append((unit, name, row))
    for bucket in index.values():
        bucket.sort(key=lambda entry: -len(entry[0]))  # longest first: a whole turn beats its own sentence
    return index, prefix


# -- the project -----------------------------------------------------------------------------------------

def project_files(root: Path = ROOT) -> list[Path]:
    """Text files git knows of or would pick up (tracked, or untracked and not ignored)."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, check=True,
                         capture_output=True).stdout.decode("utf-8").split("\0")
    return [root / name for name in sorted(set(out)) if name.endswith(SUFFIXES) and (root / name).is_file()]


def _decode_escapes(text: str) -> str:
    return _ESCAPE.sub(lambda m: m.group(0) if 0xD800 <= int(m.group(1), 16) <= 0xDFFF else chr(int(m.group(1), 16)),
                       text)


def _normalised_file(text: str) -> tuple[str, list[int], list[int]]:
    """The file's normalised text, its token start offsets, and the offset where each line starts."""
    chars: list[str] = []
    starts: list[int] = []
    line_offsets: list[int] = []
    size, prev_latin = 0, False
    for line in text.splitlines():
        line_offsets.append(size)
        for token in _tokens(line):
            latin = _is_latin(token)
            if latin and prev_latin:
                chars.append(" ")
                size += 1
            starts.append(size)
            chars.append(token)
            size += len(token)
            prev_latin = latin
    return "".join(chars), starts, line_offsets


def scan_text(text: str, index: dict, prefix: int, label: str = "", show: bool = False) -> list[Hit]:
    """Every maximal occurrence of an indexed unit in ``text`` (units inside a longer hit are not repeated)."""
    flat, starts, line_offsets = _normalised_file(_decode_escapes(text))
    hits: list[Hit] = []
    start, covered = -1, -1
    for pos in starts:
        bucket = index.get(flat[pos:pos + prefix])
        if not bucket:
            continue
        for unit, name, row in bucket:
            end = pos + len(unit)
            if end <= covered or not flat.startswith(unit, pos):
                continue
            if _is_latin(unit[-1]) and end < len(flat) and _LATIN.match(flat[end]):
                continue  # the unit ends inside a longer word
            if pos < covered:  # overlaps the previous hit: one longer stretch of copied text
                last = hits[-1]
                hits[-1] = Hit(last.path, last.line, last.dataset, last.row, end - start,
                               flat[start:end] if show else "")
            else:
                line = bisect.bisect_right(line_offsets, pos)  # 1-based: the last line starting at or before pos
                hits.append(Hit(label, line, name, row, len(unit), unit if show else ""))
                start = pos
            covered = end
            break
    return hits


def scan(files: Iterable[Path], index: dict, prefix: int, root: Path = ROOT, show: bool = False) -> list[Hit]:
    hits: list[Hit] = []
    for path in files:
        raw = path.read_bytes()
        if b"\0" in raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        label = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        hits.extend(scan_text(text, index, prefix, label, show))
    return hits


def find_leaks(datasets: Path, root: Path = ROOT, min_chars: int = MIN_CHARS, min_words: int = MIN_WORDS,
               show: bool = False, reviewed: Path | None = REVIEWED) -> list[Hit]:
    """Every dataset unit found in the project's text files under ``root`` (``reviewed=None``: formulas too)."""
    skip = load_reviewed(reviewed) if reviewed else set()
    index, prefix = build_index(dataset_lines(datasets), min_chars, min_words, skip)
    return scan(project_files(root), index, prefix, root, show)


def datasets_present(datasets: Path) -> bool:
    return all((datasets / name).is_dir() for name in DATASETS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.dataset_leaks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-chars", type=int, default=MIN_CHARS, help="CJK characters a line needs to count")
    parser.add_argument("--min-words", type=int, default=MIN_WORDS, help="English words a line needs to count")
    parser.add_argument("--datasets", type=Path, default=default_root(), help="the shared datasets folder")
    parser.add_argument("--json", action="store_true", help="print the hits as JSON")
    parser.add_argument("--show", action="store_true",
                        help="also print the matched (normalised) text, to judge a hit; never paste it into a file")
    parser.add_argument("--all", action="store_true",
                        help=f"also report the formulas listed in {REVIEWED.name} (to review the list)")
    args = parser.parse_args(argv)
    if not datasets_present(args.datasets):
        print(f"{args.datasets} does not hold {', '.join(DATASETS)}: nothing to check against. The third-party "
              "datasets live in ../shared/datasets beside the project; pass --datasets PATH.", file=sys.stderr)
        return 2
    hits = find_leaks(args.datasets, ROOT, args.min_chars, args.min_words, args.show, None if args.all else REVIEWED)
    if args.json:
        print(json.dumps([{k: v for k, v in asdict(h).items() if k != "text" or v} for h in hits],
                         ensure_ascii=False, indent=1))
    else:
        for h in hits:
            shown = f": {h.text} (sha {unit_sha(h.text)})" if h.text else ""
            print(f"{h.path}:{h.line}: {h.dataset} row {h.row}, {h.length} characters{shown}")
        sys.stdout.flush()
        print(f"{len(hits)} dataset line(s) found in the project" if hits else "no dataset text found in the project",
              file=sys.stderr)
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
