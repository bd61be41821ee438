"""`coach ingest`: bring deal records in (parse → anonymize → tag → store → index) with progress and counts."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError

EXIT_ROWS_SKIPPED = 3  # ingested, but some rows were bad: scripts must not take a partial import for a full one


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

    Exit status: 0 all rows ingested, 3 ingested but some rows were skipped (listed), 1 nothing ingested.

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
        if path.is_file() and path.suffix.lower() == ".csv" and not json_out:
            from knowledge.importers.column_guess import csv_header, describe, guess_mapping

            header = csv_header(path)
            columns = describe(guess_mapping(header, options["mapping"]), header)
            if columns:  # say what was guessed, so a wrong guess is seen and fixed with --map
                typer.echo(f"columns: {columns} (guessed from the header; --map overrides)", err=True)
        report = ingest_path(path, fmt, progress=not json_out, options=options)
    except ImportFileError as exc:
        raise UserError(str(exc)) from exc
    status, closing = 0, ""
    if report.read == 0:
        status, closing = 1, f"error: {_nothing_read(path, report)}"
    elif report.bad_rows:
        status = EXIT_ROWS_SKIPPED
        closing = f"warning: {len(report.bad_rows)} row(s) skipped; the rest was ingested (exit status {status})"
    if json_out:  # stdout stays one JSON document; the reason rides in it
        if closing:
            report.warnings.append(closing.partition(": ")[2])
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
        if closing:
            typer.echo(closing, err=True)
    if status:
        raise typer.Exit(status)


def _nothing_read(path: Path, report) -> str:
    """Why an ingest stored nothing, and what to do (never quoting the file's content)."""
    if report.bad_rows:
        return (f"{path.name}: no deal could be read; all {len(report.bad_rows)} row(s) were bad "
                "(see the lines above), fix them and re-run")
    return (f"{path.name}: no deals found (the file is empty or has no rows); "
            "give a file with one deal per line (.jsonl) or one turn per row (.csv)")
