"""numpy's BLAS runs on one thread in the serving process.

Why: OpenBLAS keeps its worker threads spinning after each matrix product. The understanding heads do many
small products per line, and on two cores those spinning threads took the cores the sentence encoder's own
OpenMP threads needed. Measured with ``coach bench --deals 1000 --trainees 0 --ingest-deals 0 --json`` on a
quiet machine: live hint p50/p95 36/58 ms → 22/33 ms, practice turn p50 71 → 56 ms. The products are small
(a batch of sentence vectors against a head), so one thread loses nothing. An explicit
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` for BLAS set by the operator wins.
"""

from __future__ import annotations

import os

_DONE = False


def limit_blas_threads() -> None:
    """Cap numpy's BLAS pool at one thread, once per process (a no-op when the operator chose a count)."""
    global _DONE
    if _DONE or "OPENBLAS_NUM_THREADS" in os.environ or "MKL_NUM_THREADS" in os.environ:
        return
    _DONE = True
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def one_blas_thread(fn):
    """Run ``fn`` with BLAS on one thread whatever the operator or the encoder set.

    Fitted weights depend on the order BLAS sums in: ``coach train`` in a home whose embedding cache already held
    every training text never loaded the encoder (which is what caps BLAS at one thread), ran BLAS on two threads
    and wrote weights up to 0.75 apart (a step head's bias) from the shipped ones. Training always on one thread
    gives the shipped weights on every run."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper
