"""`coach eval ...`: evaluation runners. Add a command per eval here (grading, retrieval, ...)."""

from __future__ import annotations

import json

import typer

from ui.cli.app import app

eval_app = typer.Typer(help="Run evaluations. Example: coach eval grading --json", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("grading")
def eval_grading(
    split: str = typer.Option("heldout", help="heldout (never tuned on) or tune"),
    json_out: bool = typer.Option(False, "--json", help="print the full report as JSON"),
) -> None:
    """Objection-detection F1 and grader-vs-human Spearman, per language.

    Example: coach eval grading --json
    """
    from evals.grading import run_grading_eval

    report = run_grading_eval(split)
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        for lang in ("zh", "en"):
            d, g = report["detection"][lang], report["grading"][lang]
            typer.echo(f"[{report['split']} {lang}] detection macro-F1 {d['macro_f1']:.3f} (n={d['n']})  "
                       f"grading Spearman {g['spearman']:.3f}  step-F1 {g['step_f1']:.3f} (n={g['n']})")
        typer.echo("targets met" if report["passed"] else "targets NOT met")
    if not report["passed"]:
        raise typer.Exit(1)
