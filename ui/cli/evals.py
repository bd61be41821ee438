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


@eval_app.command("retrieval")
def eval_retrieval(
    json_out: bool = typer.Option(False, "--json", help="print the full report as JSON"),
) -> None:
    """Retrieval recall@5 and MRR on the sample corpus, per query language, for hybrid, dense and BM25.

    The first run indexes the sample corpus under COACH_HOME/evals (a few minutes); later runs reuse it.
    Example: coach eval retrieval --json
    """
    from evals.retrieval import run_retrieval_eval

    report = run_retrieval_eval(progress=not json_out)
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo(f"corpus: {report['corpus']['deals']} deals, {report['corpus']['turns']} turns; "
               f"embedder {report['embedder']}")
    for lang in ("zh", "en"):
        for mode, m in report[lang].items():
            typer.echo(f"[{lang} {mode:<6}] recall@5 {m['recall@5']:.3f}  MRR {m['mrr']:.3f}  "
                       f"precision@5 {m['precision@5']:.3f} (n={m['n']})")
