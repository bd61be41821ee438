"""`coach train`: rebuild the understanding layer's weights from the team-written training data."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ui.cli.app import app


@app.command()
def train(
    out: str = typer.Option("", help="where to write the artefact; default COACH_HOME/models/ (used from then on)"),
    data: str = typer.Option("", help="a folder of customer_*.jsonl / pairs_*.jsonl; default the project's own"),
    ship: bool = typer.Option(False, "--ship", help="write into the package (knowledge/understanding/weights)"),
    json_out: bool = typer.Option(False, "--json", help="print the training figures as JSON"),
) -> None:
    """Fit the objection, signal, sentiment, step, anti-pattern, relevance and score heads (fixed seed: the same
    data and embedder give the same weights), with a progress bar.

    Example: coach train --json
    """
    from tqdm import tqdm

    from evals.understanding.card import write_card
    from evals.understanding.data import DATA_DIR, load_customer_lines, load_pairs, load_vote_pairs
    from evals.understanding.train import train as fit
    from knowledge.embeddings import get_embedder
    from knowledge.settings import get_settings
    from knowledge.understanding.encoder import encoder_id, pair_customer_embedder, understanding_embedder
    from knowledge.understanding.loader import artefact_name

    settings = get_settings()
    # replies and rep moves are read by retrieval's encoder; customer lines by the understanding encoder, a tuned
    # one (evals.encoder_tuning.train) when its delta exists
    embedder, customer_embedder, encoder = get_embedder(), understanding_embedder(), encoder_id()
    name = artefact_name(settings.embedder)
    if ship:
        target = Path(__file__).resolve().parents[2] / "knowledge" / "understanding" / "weights" / name
    else:
        target = Path(out) if out else Path(settings.coach_home) / "models" / name
    folder = Path(data) if data else DATA_DIR
    rows = (load_customer_lines(folder), load_pairs(folder))
    if not rows[0] or not rows[1]:
        raise typer.BadParameter(f"{folder}: needs customer_*.jsonl and pairs_*.jsonl files (see "
                                 "evals/understanding/LABEL_GUIDE.md)")
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="", disable=json_out, leave=True)
        bar.update(done - bar.n)

    figures = fit(embedder, target, rows, progress=progress, vote_pairs=load_vote_pairs(folder), encoder_id=encoder,
                  customer_embedder=customer_embedder, pair_embedder=pair_customer_embedder())
    # the rep-move heads (what a reply asks and offers, as the simulated customer hears it), beside the artefact
    from evals.understanding.train_moves import MOVES_DIR, rebuild
    from knowledge.understanding.moves import moves_name

    moves_folder = folder if any(folder.glob("rep_moves_*.jsonl")) else MOVES_DIR
    figures["rep_moves"] = rebuild(target.parent / moves_name(settings.embedder), moves_folder, embedder, progress)
    for bar in bars.values():
        bar.close()
    if ship:
        if encoder:  # the shipped customer heads read through the tuned encoder: it ships beside them
            import shutil

            from knowledge.understanding.encoder import DELTA_NAME, delta_path

            source, shipped = delta_path(), target.parent / DELTA_NAME
            if not (shipped.exists() and shipped.samefile(source)):  # retraining on the shipped delta itself
                shutil.copyfile(source, shipped)
        write_card(target, figures)
    if json_out:
        typer.echo(json.dumps({"artefact": str(target), **figures}, ensure_ascii=False))
    else:
        typer.echo(f"wrote {target} ({target.stat().st_size // 1024} KB) from {figures['customer_lines']} customer "
                   f"lines and {figures['pairs']} pairs; rep-move heads from {figures['rep_moves']['rep_lines']} rep "
                   f"lines (held-out macro F1 {figures['rep_moves']['heldout_macro_f1']})")
