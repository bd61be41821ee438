"""`coach ingest`: bring deal records in (parse → anonymize → tag → store → index) with progress and counts."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError


@app.command()
def ingest(
    path: Path = typer.Argument(..., help="a file (.jsonl, .csv, .xlsx, chat .txt) or a folder of them"),
    fmt: str = typer.Option(None, "--format", help="jsonl | messages-csv | xlsx | chat | csv (default: detected)"),
    mapping: str = typer.Option(None, "--map", help="column mapping for other CSVs, e.g. message=text,author=role"),
    rep: str = typer.Option(None, "--rep", help="chat exports: comma list of the rep's names (default: first speaker)"),
    industry: str = typer.Option(None, help="industry id for every deal in the file, e.g. insurance"),
    outcomes: Path = typer.Option(None, help="outcomes CSV (conversation_id, outcome); default: conversations.csv beside"),
    json_out: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Ingest deal records: anonymized before anything is stored, safe to re-run, resumes after a stop.

    Example: coach ingest ../shared/datasets/agentune-insurance-calls/messages.csv --industry insurance
    """
    from knowledge.importers import ImportFileError, parse_mapping
    from knowledge.ingest import ingest_path

    if not path.exists():
        raise UserError(f"{path}: no such file or folder; give the path of a .jsonl/.csv/.xlsx/.txt export")
    try:
        options = {
            "mapping": parse_mapping(mapping),
            "rep_names": [n for n in (rep or "").split(",") if n.strip()],
            "industry": industry,
            "outcomes": str(outcomes) if outcomes else None,
        }
        report = ingest_path(path, fmt, progress=not json_out, options=options)
    except ImportFileError as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        typer.echo(json.dumps(report.model_dump(), ensure_ascii=False))
    else:
        typer.echo(
            f"{report.source}: read {report.read}, new {report.new}, updated {report.updated}, "
            f"duplicates skipped {report.skipped_duplicates}, bad rows {len(report.bad_rows)}, "
            f"turns {report.turns}, {report.seconds:.1f}s"
        )
        for line in report.bad_rows[:50]:
            typer.echo(f"  skipped {line}")
        if len(report.bad_rows) > 50:
            typer.echo(f"  … and {len(report.bad_rows) - 50} more (use --json for all)")
        for warning in report.warnings:
            typer.echo(f"warning: {warning}", err=True)
    if report.read == 0:
        raise typer.Exit(1)
