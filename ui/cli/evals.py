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


@eval_app.command("roleplay")
def roleplay(
    sessions: int = typer.Option(200, help="sessions in all, split over scenarios and strong/weak trainees"),
    turns: int = typer.Option(20, help="trainee replies per session (a session may end earlier)"),
    scenario: list[str] = typer.Option(None, "--scenario", help="limit to these scenario ids"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
    realism: bool = typer.Option(True, help="compare the customer's relevance to the rep's line with real "
                                 "customers in ../shared/datasets (first run embeds ~6,000 lines)"),
) -> None:
    """Customer quality: reproducibility, consistency, role inversion, responsiveness, variety, realism.

    Example: coach eval roleplay --sessions 200 --turns 20 --json
    """
    import json

    from evals.roleplay.runner import check_reproducible, run_roleplay_eval

    report = run_roleplay_eval(scenario or None, sessions=sessions, turns=turns, progress=not json_out,
                               realism=realism)
    report["reproducible"] = check_reproducible()
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    typer.echo(f"sessions {report['sessions']}, turns {report['turns']}, reproducible {report['reproducible']}")
    for lang in ("zh", "en"):
        if lang in report:
            r = report[lang]
            typer.echo(f"[{lang}] lines {r['customer_lines']}  contradictions {r['contradiction_rate']:.2%}  "
                       f"role inversion {r['role_inversion_rate']:.2%}  distinct lines {r['distinct_lines']}  "
                       f"distinct-2 {r['distinct_2']}")
            for kind in ("strong", "weak"):
                typer.echo(f"    {kind}: {r[kind]}")
    if "realism" in report:
        from evals.roleplay.realism import text_lines

        for line in text_lines(report["realism"]):
            typer.echo(line)


@eval_app.command("understanding")
def eval_understanding(
    json_out: bool = typer.Option(False, "--json", help="print the full report as JSON"),
    plot_dir: str = typer.Option("", help="write the reliability plot (PNG) here; default COACH_HOME/reports"),
    predictions: str = typer.Option("", help="also write the per-line predictions on the real dev sets here "
                                    "(row numbers, no dataset text), for python -m evals.understanding.compare"),
) -> None:
    """The understanding layer on real words first (our labels of ../shared/datasets, test halves, each figure
    with a 95 % interval over conversations), then language parity, hard negatives, calibration, and the
    team-written held-out sets.

    Example: coach eval understanding --json --predictions before.json
    """
    from pathlib import Path

    from evals.understanding.runner import run
    from knowledge.settings import get_settings

    folder = Path(plot_dir) if plot_dir else Path(get_settings().coach_home) / "reports"
    report = run(plot_dir=folder, predictions=Path(predictions) if predictions else None)
    if predictions and "skipped" in report.get("real_dev", {}):
        typer.echo(f"No predictions written to {predictions}: {report['real_dev']['skipped']}.", err=True)
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    from evals.understanding.report import text_lines

    for line in text_lines(report):
        typer.echo(line)
