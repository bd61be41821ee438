"""PII eval: a planted-PII bilingual corpus and per-kind recall/precision of the Anonymizer.

Splits: dev (templated, tuned on), heldout (disjoint templates and values, written before tuning),
heldout_hard (36 hand-written lines, data/heldout_hard.jsonl, never tuned on), contact_ids (hand-written QQ,
passport, Hong Kong/Taiwan ID, plate and phone-extension lines in zh and en). ``pseudonyms`` scores deal-level
cases: one placeholder per person, the rep's side told from the customer's, companies not taken for people.

Run: python -m evals.pii        (scores)      python -m evals.pii.bench   (turns per second)
"""

from evals.pii.pseudonyms import run_pseudonym_eval
from evals.pii.runner import load_split, run_pii_eval

__all__ = ["load_split", "run_pii_eval", "run_pseudonym_eval"]
