"""Sample-deal corpus: a seeded generator of realistic, gold-labelled B2B sales conversations.

The same generator writes the curated sample shipped in ``knowledge/data/sample_deals.jsonl``
(fixed seed, see ``evals.corpus.curate``) and arbitrarily large scale corpora for benchmarks
(``python -m evals.corpus.generate``). Its wording lives in YAML templates under ``templates/``.
"""

from __future__ import annotations

__all__ = ["SAMPLE_SEED", "SAMPLE_SIZE", "generate_deals"]


def __getattr__(name: str):
    # Imported lazily so `python -m evals.corpus.generate` does not import the module twice.
    if name in __all__:
        from evals.corpus import generate

        return getattr(generate, name)
    raise AttributeError(name)
