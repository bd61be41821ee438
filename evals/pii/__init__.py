"""PII eval: a planted-PII bilingual corpus (dev + held-out) and per-kind recall/precision of the Anonymizer.

Run: python -m evals.pii        (scores)      python -m evals.pii.bench   (turns per second)
"""

from evals.pii.runner import load_split, run_pii_eval

__all__ = ["load_split", "run_pii_eval"]
