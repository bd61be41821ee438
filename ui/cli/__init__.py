"""The `coach` command line: one module per command group, all registered on one Typer app."""

from ui.cli.app import app, main

__all__ = ["app", "main"]
