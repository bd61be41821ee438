"""`coach anonymize`: mask personal data in a text file or stdin (脱敏), one line at a time."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError


@app.command()
def anonymize(
    file: str = typer.Argument("-", help="text file to mask, or - for stdin"),
    json_out: bool = typer.Option(False, "--json", help="one JSON object per input line with the entities"),
    mask_amounts: bool = typer.Option(False, "--mask-amounts", help="also mask exact amounts (50万, $120,000)"),
) -> None:
    """Print the text with names, phones, emails, IDs, cards, addresses... replaced by pseudonyms.

    All lines share one pseudonym scope, so a person keeps one letter throughout.
    Example: echo "张总电话13812345678" | coach anonymize -   (prints [客户A]总电话[电话])
    """
    from knowledge.anonymize import Anonymizer, PseudonymScope

    if file == "-":
        text = sys.stdin.read()
    else:
        path = Path(file)
        if not path.is_file():
            raise UserError(f"{file}: no such file; pass a text file path or - to read stdin")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    anonymizer = Anonymizer(mask_amounts=mask_amounts)
    scope = PseudonymScope()
    for line in text.splitlines():
        result = anonymizer.mask(line, scope)
        if json_out:
            entities = [{"kind": e.kind, "text": e.text, "replacement": e.replacement} for e in result.entities]
            typer.echo(json.dumps({"text": result.text, "entities": entities}, ensure_ascii=False))
        else:
            typer.echo(result.text)
