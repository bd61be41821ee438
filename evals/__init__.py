"""Evals: labelled sets and runners that measure the grader, detectors, personas, retrieval and speed."""

__all__: list[str] = []
