"""`coach bench`: latency, throughput, concurrency and memory figures, printed with the core count."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError


@app.command()
def bench(
    deals: list[int] = typer.Option([1000], "--deals", help="index size(s) in deals; repeat for several"),
    turns: int = typer.Option(60, help="role-play turns to time per language (0 skips)"),
    utterances: int = typer.Option(200, help="customer utterances for live-hint latency (0 skips)"),
    ingest_deals: int = typer.Option(200, "--ingest-deals", help="deals for the ingestion benchmark (0 skips)"),
    trainees: int = typer.Option(50, help="simulated trainees against one server (0 skips)"),
    trainee_turns: int = typer.Option(5, "--trainee-turns", help="turns each simulated trainee plays"),
    vectors: str = typer.Option("random", help="document vectors of the scale index: random (synthetic) or model"),
    root: Path = typer.Option(None, help="where scale indexes are built and kept (default /tmp/coach-bench)"),
    no_sample: bool = typer.Option(False, "--no-sample", help="leave the bundled sample deals out of the index"),
    overload_seconds: float = typer.Option(0, "--overload-seconds",
                                           help="seconds per phase of the overload bench on the first index "
                                                "(small requests while others send huge lines; 0 skips)"),
    json_out: bool = typer.Option(False, "--json", help="print the full report as JSON"),
) -> None:
    """Benchmarks: role-play turn and live-hint latency at each index size, N trainees against one server,
    server peak memory, ingestion throughput against bare embedding. Indexes are built once (resumably)
    under --root and reused; document vectors are synthetic unless --vectors model (see BENCHMARKS.md).

    Example: coach bench --deals 1000 --deals 10000 --json
    """
    if vectors not in {"random", "model"}:
        raise UserError(f"--vectors {vectors}: use random (synthetic document vectors) or model (real, slow)")
    if any(n < 1 for n in deals) or min(turns, utterances, ingest_deals, trainees) < 0 or trainee_turns < 1:
        raise UserError("--deals must be at least 1; counts cannot be negative; --trainee-turns at least 1")
    from evals.bench.runner import run_bench, text_report

    report = run_bench(list(deals), root=root, vectors=vectors, turns=turns, utterances=utterances,
                       ingest_deals=ingest_deals, trainees=trainees, trainee_turns=trainee_turns,
                       progress=not json_out, sample=not no_sample)
    text = text_report(report)
    if overload_seconds > 0:
        from evals.bench import overload
        from evals.bench.scale import default_home

        home = (Path(root) / default_home(deals[0], vectors).name) if root else default_home(deals[0], vectors)
        report["overload"] = overload.run_overload(home, seconds=overload_seconds, progress=not json_out)
        text += "\n\n== overload\n" + overload.text_report(report["overload"])
    typer.echo(json.dumps(report, ensure_ascii=False) if json_out else text)
