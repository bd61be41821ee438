"""The bundled sample of anonymized deals, so a fresh install has something to retrieve and role-play from.

The file ``knowledge/data/sample_deals.jsonl`` is generated and checked by ``python -m evals.corpus.curate``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from importlib import resources

from pydantic import ValidationError

from knowledge.records import DealRecord

SAMPLE_FILE = "sample_deals.jsonl"


class SampleDataError(ValueError):
    """A line of a deals JSONL file is not a valid DealRecord; the message names the line and field."""


def iter_deal_lines(lines: Iterable[str], source: str = SAMPLE_FILE) -> Iterator[DealRecord]:
    """Parse JSONL lines into validated deals, failing on the first bad line with its number and field."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SampleDataError(f"{source} line {number}: not valid JSON ({exc.msg}); fix or remove the line") \
                from exc
        try:
            yield DealRecord.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(part) for part in err["loc"]) or "(record)"
            raise SampleDataError(f"{source} line {number}: field '{field}': {err['msg']}; "
                                  f"fix the line or regenerate with `python -m evals.corpus.curate`") from exc


def load_sample_deals() -> list[DealRecord]:
    """All deals of the shipped sample corpus, validated."""
    path = resources.files("knowledge.data").joinpath(SAMPLE_FILE)
    with path.open(encoding="utf-8") as fh:
        return list(iter_deal_lines(fh, source=f"knowledge/data/{SAMPLE_FILE}"))
