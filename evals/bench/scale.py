"""Build a data folder (a COACH_HOME) holding N generated deals in the real Chroma + BM25 index, resumably.

Embedding 100k deals (~1.8M turns) with the bilingual model would take many hours on two cores, so the
*document* vectors here are random unit vectors of the model's dimension, not the model's output. Queries
are still embedded by the real model and answered by the real Chroma (HNSW) and BM25 indexes at N
documents, so query latency at scale is measured honestly; retrieval *quality* at scale is not.
The 1k-deal folder can instead be built with the real model (``vectors="model"``).

    python -m evals.bench.scale --deals 100000 --home /tmp/coach-bench/deals-100000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

SYNTHETIC_LABEL = ("index scale test: real query embedding + real Chroma/BM25 at N docs, "
                   "synthetic document vectors (random unit vectors of the model's dimension)")
STATE_FILE = "scale-index.json"
CHUNK_DEALS = 100
ADD_BATCH = 2000  # below Chroma's maximum batch size


def default_home(deals: int, vectors: str = "random") -> Path:
    suffix = "" if vectors == "random" else f"-{vectors}"
    return Path("/tmp/coach-bench") / f"deals-{deals}{suffix}"


def use_home(home: Path) -> None:
    """Point the settings at another data folder before anything reads them (we set the variable, the
    settings object reads it)."""
    from knowledge import db, settings

    os.environ["COACH_HOME"] = str(Path(home).resolve())
    settings.get_settings.cache_clear()
    db.reset_engines()
    from knowledge.index import hybrid

    hybrid._index_for.cache_clear()


def _state(home: Path) -> dict:
    path = home / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _save_state(home: Path, state: dict) -> None:
    tmp = home / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(home / STATE_FILE)  # atomic: a kill leaves the old or the new state, never half


def build_scale_home(deals: int, home: Path | None = None, seed: int | None = None, vectors: str = "random",
                     progress: bool = True, init: bool = True, sample: bool = True) -> dict:
    """Make ``home`` a COACH_HOME whose index holds ``deals`` generated deals (plus the bundled sample).

    Resumable: a state file records how many deals are indexed, so a re-run continues (or returns at once).
    ``vectors``: "random" (synthetic, see SYNTHETIC_LABEL) or "model" (the real embedder; slow).
    """
    from tqdm import tqdm

    from evals.corpus.generate import SCALE_SEED, build_deal
    from knowledge.index import get_index, turn_docs

    if vectors not in {"random", "model"}:
        raise ValueError(f"vectors={vectors!r}: use 'random' (synthetic) or 'model' (real embedder)")
    seed = SCALE_SEED if seed is None else seed
    home = Path(home or default_home(deals, vectors))
    home.mkdir(parents=True, exist_ok=True)
    use_home(home)
    state = _state(home)
    if state and (state.get("seed") != seed or state.get("vectors") != vectors):
        raise ValueError(f"{home} holds an index built with seed {state.get('seed')} and {state.get('vectors')} "
                         f"vectors; give another --home or delete that folder")
    started = time.perf_counter()
    if init and not state.get("initialised"):
        from coach.bootstrap import initialise

        initialise(progress=progress, with_sample=sample)
        state.update(initialised=True, seed=seed, vectors=vectors, deals_done=0, keywords_done=0)
        _save_state(home, state)
    state.setdefault("seed", seed)
    state.setdefault("vectors", vectors)
    index = get_index()
    done = int(state.get("deals_done", 0))
    # Folders built before the two phases added keywords in step with vectors.
    state.setdefault("keywords_done", done)
    rng = np.random.default_rng([seed, done])
    dim = int(index.embedder.embed(["维度 dimension probe"], kind="query").shape[1]) if done < deals else 0
    turns = int(state.get("turns", 0))
    # Phase 1, vectors (the slow part). The keyword side is phase 2, so the build never holds both at once.
    with tqdm(total=deals, initial=min(done, deals), desc=f"vectors for {deals} deals", unit="deal",
              file=sys.stderr, disable=not progress, dynamic_ncols=True) as bar:
        while done < deals:
            upto = min(deals, done + CHUNK_DEALS)
            docs = [d for i in range(done, upto) for d in turn_docs(build_deal(i, seed, prefix="scale"))]
            for start in range(0, len(docs), ADD_BATCH):
                part = docs[start:start + ADD_BATCH]
                if vectors == "model":
                    vecs = index.embedder.embed([d.text for d in part], kind="passage")
                else:
                    vecs = rng.standard_normal((len(part), dim), dtype=np.float32)
                    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                index.store.add([d.doc_id for d in part], vecs, [d.text for d in part], [d.metadata for d in part])
            turns += len(docs)
            bar.update(upto - done)
            done = upto
            state.update(deals_done=done, turns=turns)
            _save_state(home, state)
    # Phase 2, keywords: the BM25 log is append-only, so resume from the deal count recorded after each chunk.
    keyword_done = int(state["keywords_done"])
    with tqdm(total=done, initial=keyword_done, desc=f"keywords for {done} deals", unit="deal", file=sys.stderr,
              disable=not progress, dynamic_ncols=True) as bar:
        while keyword_done < done:
            upto = min(done, keyword_done + CHUNK_DEALS * 10)
            index.bm25.add([d for i in range(keyword_done, upto) for d in turn_docs(build_deal(i, seed, prefix="scale"))])
            bar.update(upto - keyword_done)
            keyword_done = upto
            state["keywords_done"] = keyword_done
            _save_state(home, state)
    if not state.get("bm25_saved_at") == done:
        index.flush()  # builds and saves the BM25 matrix once, so a server start loads it
        state["bm25_saved_at"] = done
        _save_state(home, state)
    return {"home": str(home), "deals": done, "turns": turns, "indexed_docs": len(index.bm25),
            "vectors": "real model" if vectors == "model" else SYNTHETIC_LABEL,
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, required=True)
    parser.add_argument("--home", type=Path, default=None, help="default /tmp/coach-bench/deals-N")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--vectors", choices=["random", "model"], default="random")
    args = parser.parse_args(argv)
    print(json.dumps(build_scale_home(args.deals, args.home, args.seed, args.vectors), ensure_ascii=False))


if __name__ == "__main__":
    main()
