"""Plain chat exports (WeChat / 企业微信 style): a header line ``姓名 2026-01-15 10:02`` (or
``姓名 2026/1/15 10:02:33``) followed by that person's message lines. One file is one deal.

Which names are the rep comes from ``options['rep_names']``; by default the first speaker is the rep
and everyone else is the customer. Names stay out of the record: only the role is kept, and the
deal id is a hash of the file name (which often names the customer).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from knowledge.importers.base import (
    Importer,
    ImportIssue,
    ImportItem,
    detect_lang,
    guess_industry,
    parse_time,
    read_text,
    register_importer,
    validation_message,
)
from knowledge.records import DealRecord, Turn

HEADER = re.compile(
    r"^(?P<name>\S.{0,40}?)\s+(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\s*$"
)


def chat_deal_id(path: Path) -> str:
    """A stable id from the file name without keeping it: chat exports are often named after the customer."""
    return "chat-" + hashlib.sha256(path.name.encode()).hexdigest()[:10]


def _when(date: str, time: str):
    y, m, d = re.split(r"[-/.]", date)
    return parse_time(f"{int(y):04d}-{int(m):02d}-{int(d):02d} {time if time.count(':') == 2 else time + ':00'}")


@register_importer("chat")
class ChatImporter(Importer):
    name = "chat"
    extensions = (".txt", ".chat")

    def sniff(self, path: Path, head: str) -> bool:
        return any(HEADER.match(line.strip()) for line in head.splitlines()[:20])

    def read(self, path: Path, options: dict | None = None) -> Iterator[ImportItem]:
        options = options or {}
        rep_names = {n.strip() for n in options.get("rep_names") or [] if n.strip()}
        turns: list[Turn] = []
        current: dict | None = None
        first_line = None

        def close():
            if current is None:
                return None
            text = "\n".join(current["lines"]).strip()
            if not text:
                return ImportIssue(file=path.name, line=current["line"], message="a header with no message under it")
            speaker = "rep" if current["name"] in rep_names else "customer"
            turns.append(Turn(speaker=speaker, text=text, ts=current["ts"]))
            return None

        for number, raw in enumerate(read_text(path).splitlines(), start=1):
            line = raw.strip()
            match = HEADER.match(line)
            if match:
                issue = close()
                if issue:
                    yield issue
                name = match["name"].strip()
                if not rep_names:
                    rep_names.add(name)  # default: whoever speaks first is the rep
                first_line = first_line or number
                current = {"name": name, "ts": _when(match["date"], match["time"]), "lines": [], "line": number}
            elif line:
                if current is None:
                    yield ImportIssue(file=path.name, line=number, message="message line before any 'name date time' header")
                    continue
                current["lines"].append(line)
        issue = close()
        if issue:
            yield issue
        if not turns:
            yield ImportIssue(file=path.name, line=first_line or 1, message="no 'name date time' headers with messages found")
            return
        text = " ".join(t.text for t in turns)
        try:
            record = DealRecord(
                deal_id=options.get("deal_id") or chat_deal_id(path),
                turns=turns,
                lang=options.get("lang") or detect_lang(text),
                industry=options.get("industry") or guess_industry(text),
                **({"segment": options["segment"]} if options.get("segment") else {}),
            )
        except ValidationError as exc:
            yield ImportIssue(file=path.name, line=first_line or 1, message=validation_message(exc))
            return
        yield first_line or 1, record
