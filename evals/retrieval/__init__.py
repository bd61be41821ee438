"""Retrieval eval: labelled Chinese and English queries scored as recall@5 and MRR for hybrid, dense and BM25.

``run_retrieval_eval()`` returns the figures; ``python -m evals.retrieval.bench`` prints query latency.
"""

from evals.retrieval.labels import LabelledQuery, load_queries
from evals.retrieval.runner import eval_index, run_retrieval_eval

__all__ = ["LabelledQuery", "eval_index", "load_queries", "run_retrieval_eval"]
