"""`coach doctor`: run the named health checks (database, keyword and vector stores, ingest journal), optionally
repairing; `coach index check [--repair]` runs the index checks alone. Checks are registered in
:mod:`knowledge.health` (``register_check``): a module in knowledge lists itself in ``CHECK_MODULES`` there, one
in a higher package (coach, ui) in ``UPPER_CHECK_MODULES`` here."""

from __future__ import annotations

import importlib
import json

import typer

from ui.cli.app import app

index_app = typer.Typer(help="Index maintenance. Example: coach index check --repair", no_args_is_help=True)
app.add_typer(index_app, name="index")

INDEX_CHECKS = ["vector store readable", "ingest journal", "index counts"]
# Checks registered by packages above knowledge (which must not import them): imported here, before running.
UPPER_CHECK_MODULES = ["coach.llm.doctor_check"]


def _load_upper_checks() -> None:
    for name in UPPER_CHECK_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def _run(repair: bool, json_out: bool, only: list[str] | None) -> None:
    from knowledge.health import run_checks

    _load_upper_checks()
    results = run_checks(repair=repair, only=only)
    if json_out:
        typer.echo(json.dumps([r.__dict__ for r in results], ensure_ascii=False))
    else:
        for r in results:
            mark = "repaired" if r.repaired else ("ok" if r.ok else "FAIL")
            typer.echo(f"{mark:8} {r.name}: {r.detail}")
            if not r.ok and r.hint:
                typer.echo(f"         → {r.hint}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def doctor(
    repair: bool = typer.Option(False, "--repair", help="fix what the checks find (rebuild indexes from the database)"),
    json_out: bool = typer.Option(False, "--json", help="print the results as JSON"),
) -> None:
    """Check that the database, keyword store and vector store agree; exit 1 while a problem remains.

    Example: coach doctor --repair
    """
    _run(repair, json_out, None)


@index_app.command("check")
def index_check(
    repair: bool = typer.Option(False, "--repair", help="rebuild what is missing from the database"),
    json_out: bool = typer.Option(False, "--json", help="print the results as JSON"),
) -> None:
    """The index checks of `coach doctor` alone. Example: coach index check --repair"""
    _run(repair, json_out, INDEX_CHECKS)
