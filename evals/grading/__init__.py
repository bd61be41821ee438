"""Grading calibration: labelled objection utterances and scored replies (zh + en), tune and held-out splits."""

from evals.grading.runner import load_rows, run_grading_eval

__all__ = ["load_rows", "run_grading_eval"]
