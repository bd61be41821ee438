"""Rebuild the shipped embedding seed (knowledge/data/embeddings-<model>.npz): the vectors of the bundled
sample corpus (after anonymization) and the playbook exemplars, so a fresh install starts in seconds.

Usage: python -m evals.seed_embeddings [--home DIR]   (DIR keeps the cache between runs; default: a temp folder)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def build_seed(home: Path, out: Path | None = None) -> dict:
    os.environ["COACH_HOME"] = str(home)
    from knowledge.settings import get_settings

    get_settings.cache_clear()
    from coach.bootstrap import initialise
    from knowledge.detect import get_detector
    from knowledge.embedding_cache import seed_file
    from knowledge.embeddings import get_embedder

    started = time.perf_counter()
    initialise(progress=True)
    get_detector().detect("价格太贵了")  # embeds every playbook exemplar once
    embedder = get_embedder()
    keys, vectors = embedder.export()
    target = out or Path(str(seed_file(embedder.name)))
    np.savez_compressed(target, keys=np.array(keys), vectors=vectors.astype(np.float16))
    return {"model": embedder.name, "vectors": len(keys), "file": str(target), "bytes": target.stat().st_size,
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="coach-seed-"))
    print(build_seed(home))


if __name__ == "__main__":
    main()
