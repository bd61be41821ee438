"""The Typer app and the entry point that turns expected failures into one-line messages."""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="coach",
    help="AI sales coach: practise against simulated customers, grade replies, live-call hints.\n\n"
    "Example: coach init && coach serve",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per command group; each defines its commands on `app` (or adds a sub-Typer) at import.
COMMAND_MODULES = [
    "ui.cli.core",
    "ui.cli.practice",
    "ui.cli.voice",
    "ui.cli.ingest",
    "ui.cli.anonymize",
    "ui.cli.scenario",
    "ui.cli.progress",
    "ui.cli.live",
    "ui.cli.grading",
    "ui.cli.evals",
    "ui.cli.train",
    "ui.cli.preview",
    "ui.cli.bench",
    "ui.cli.tokens",
    "ui.cli.doctor",
]


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; known problems print one line and exit 1, never a traceback."""
    from knowledge.settings import SetupError
    from ui.cli.errors import UserError

    _load_commands()
    try:
        app(args=argv, standalone_mode=True)
    except (UserError, SetupError, FileNotFoundError, PermissionError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
