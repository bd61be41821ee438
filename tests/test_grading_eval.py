"""Calibration against the labelled sets: the acceptance targets on the held-out split, per language."""

from __future__ import annotations

import pytest

from evals.grading import load_rows, run_grading_eval
from evals.grading.metrics import macro_f1, set_f1, spearman
from knowledge.taxonomy import OBJECTION_TYPES


def test_labelled_sets_are_big_enough_and_bilingual():
    objections = load_rows("objections", "heldout") + load_rows("objections", "tune")
    replies = load_rows("replies", "heldout") + load_rows("replies", "tune")
    assert len(objections) >= 320 and len(replies) >= 220
    for rows in (objections, replies):
        assert {r["lang"] for r in rows} == {"zh", "en"}
    assert sum(len(r["objections"]) > 1 for r in objections) >= 10  # two objections at once
    labels = {label for r in objections for label in r["objections"]}
    assert labels == {*OBJECTION_TYPES, "none"}
    heldout = {r["text"] for r in load_rows("objections", "heldout")}
    assert not heldout & {r["text"] for r in load_rows("objections", "tune")}


def test_heldout_files_say_they_are_never_tuned_on():
    from evals.grading.runner import DATA_DIR

    for name in ("objections_heldout.jsonl", "replies_heldout.jsonl"):
        header = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[0]
        assert "never tune" in header


def test_metrics():
    assert macro_f1(["a", "b"], ["a", "b"]) == 1.0
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert set_f1([{"x"}, {"y"}], [{"x"}, set()]) == pytest.approx(2 / 3)
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


@pytest.mark.slow
def test_heldout_targets_per_language():
    report = run_grading_eval("heldout")
    for lang in ("zh", "en"):
        assert report["detection"][lang]["macro_f1"] >= 0.85, report["detection"][lang]
        assert report["grading"][lang]["spearman"] >= 0.7, report["grading"][lang]
        # the learned step heads measure 0.74 (zh) on these labels, which were written to the old cue
        # definitions; the real-word figures are in `coach eval understanding`
        assert report["grading"][lang]["step_f1"] >= 0.7
    assert report["passed"] is True
