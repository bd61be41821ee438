"""English persons, companies and street addresses, by titles, name lists and capitalisation (no model)."""

from __future__ import annotations

import re

from knowledge.anonymize.models import Span
from knowledge.anonymize.wordlists import AMBIGUOUS_FIRST, FIRST_NAMES, STOP_WORDS, SURNAMES, TITLES

_CAP = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
_TITLE_RE = "|".join(TITLES)
TITLED = re.compile(rf"\b({_TITLE_RE})\.?\s+((?:{_CAP}|[A-Z]\.)(?:\s+(?:{_CAP}|[A-Z]\.)){{0,2}})", re.ASCII)
CAP_RUN = re.compile(rf"(?<![A-Za-z0-9_@.])({_CAP}|[A-Z]\.)(?:\s+(?:{_CAP}|[A-Z]\.)){{0,3}}(?![A-Za-z0-9_@])", re.ASCII)
CUE = re.compile(r"(?:\b(?:Dear|Hi|Hello|Hey|Thanks|Cc|cc|CC|contact|ask|call|email|ping|met|with|name is|I'm|I am|"
                 r"this is|speak to|talk to|from|by|and)\s*,?\s*)$")

_SUFFIX = (r"(?:Inc|Incorporated|Ltd|Limited|LLC|L\.L\.C|LLP|Corp|Corporation|Co|Company|GmbH|AG|PLC|plc|Pte|"
           r"Pty|S\.A|SA|Group|Holdings|Technologies|Technology|Solutions|Systems|Labs|Partners|Enterprises|Industries)")
COMPANY = re.compile(
    rf"\b((?:[A-Z][A-Za-z0-9&'-]*|&)(?:\s+(?:[A-Z][A-Za-z0-9&'-]*|&|of|and)){{0,4}}),?\s+{_SUFFIX}\b\.?"
    rf"(?:,?\s+(?:Inc|Ltd|LLC|Co|Corp|Limited)\b\.?)?",
    re.ASCII,
)
_STREET = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Parkway|Pkwy|"
           r"Square|Sq|Terrace|Highway|Hwy|Circle|Cir|Plaza)")
ADDRESS = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[A-Z][A-Za-z.'-]*\s+){{1,4}}{_STREET}\b\.?"
    r"(?:,?\s+(?:Suite|Ste|Apt|Unit|Floor|Fl|Room|#)\.?\s*#?[A-Za-z0-9-]+)?"
    r"(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})?"
    r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?|,?\s*[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2})?",
    re.ASCII,
)
_LEGAL = re.compile(rf",?\s+{_SUFFIX}\b\.?.*$", re.ASCII)


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"\s+", name) if t]


def _person_span(start: int, end: int, name: str, prefix: str = "", titled: bool = False) -> Span:
    toks = [t.rstrip(".").lower() for t in _tokens(name)]
    key = " ".join(toks)
    if len(toks) == 1:
        alias = ("last", toks[0]) if titled else ("first", toks[0])
        return Span("person", start, end, priority=30, key=key, alias=alias, prefix=prefix)
    return Span("person", start, end, priority=30, key=key, prefix=prefix)


def person_parts(key: str) -> list[tuple[str, str]]:
    """The parts a full English name can be referred to by ("first", "last")."""
    toks = key.split()
    return [("first", toks[0]), ("last", toks[-1])] if len(toks) > 1 else []


def find_persons(text: str) -> list[Span]:
    spans = []
    for m in TITLED.finditer(text):
        words = _tokens(m.group(2))
        while words and words[-1].lower() in STOP_WORDS:
            words.pop()
        if not words:
            continue
        name = " ".join(words)
        end = m.start(2) + len(name)
        # A title keeps its place for readability: "Mr. Smith" -> "Mr. [Person A]".
        spans.append(_person_span(m.start(), end, name, prefix=text[m.start():m.start(2)], titled=True))
    for m in CAP_RUN.finditer(text):
        words = _tokens(m.group(0))
        start = m.start()
        # Trim capitalised stop words at either edge ("Thanks John Carter" -> "John Carter").
        while words and words[0].rstrip(".").lower() in STOP_WORDS:
            start = text.index(words[1], start + len(words[0])) if len(words) > 1 else start
            words.pop(0)
        while words and words[-1].rstrip(".").lower() in STOP_WORDS:
            words.pop()
        if not words or any(w.rstrip(".").lower() in STOP_WORDS for w in words):
            continue
        low = [w.rstrip(".").lower() for w in words]
        cue = CUE.search(text[max(0, start - 16):start])
        if len(words) >= 2:
            known = low[0] in FIRST_NAMES or low[-1] in SURNAMES
            if not (known or cue) or len(low[0]) == 1:
                continue
        else:
            w = low[0]
            if len(w) < 3 or w in AMBIGUOUS_FIRST or not (w in FIRST_NAMES or (cue and w in SURNAMES)):
                continue
            if w not in FIRST_NAMES:
                continue
        name = " ".join(words)
        spans.append(_person_span(start, start + len(name), name))
    return spans


def company_key(name: str) -> str:
    return _LEGAL.sub("", name).strip().lower() or name.lower()


def find_companies(text: str) -> list[Span]:
    spans = []
    for m in COMPANY.finditer(text):
        words = _tokens(m.group(1))
        start = m.start(1)
        # Sentence-initial words ("Yesterday Acme Inc.") and small words are not part of the name.
        while len(words) > 1 and (words[0].lower() in STOP_WORDS - {"global", "international"} or words[0] in ("&", "of", "and")):
            start = text.index(words[1], start + len(words[0]))
            words.pop(0)
        if not words or (words[0].lower() in STOP_WORDS and len(words) == 1 and words[0].lower() not in
                         {"global", "united", "international", "apple", "oracle", "amazon"}):
            continue
        end = m.end()
        # Keep the dot of "Inc." / "Co." mid-sentence, but leave a sentence-final full stop in the text.
        if text[end - 1] == "." and (end == len(text) or text[end] == "\n"
                                     or not re.search(r"(?:Inc|Ltd|Co|Corp|Pte|Pty)\.$", text[:end])):
            end -= 1
        surface = text[start:end]
        spans.append(Span("company", start, end, priority=35, key=company_key(surface)))
    return spans


def find_addresses(text: str) -> list[Span]:
    return [Span("address", m.start(), m.end(), priority=38) for m in ADDRESS.finditer(text)]
