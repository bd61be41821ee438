"""Second-annotator labels of the real dev sets: every key still matches its line, and agreement is computed right."""

import pytest

from evals.understanding import data as ud
from evals.understanding.agreement import _matched, _second, agreement, cohen_kappa


def test_kappa_is_one_for_identical_labels_and_zero_at_chance():
    assert cohen_kappa(["price", "none", "trust"], ["price", "none", "trust"]) == pytest.approx(1.0)
    assert cohen_kappa(["price", "price", "none", "none"], ["price", "none", "price", "none"]) == pytest.approx(0.0)
    assert cohen_kappa(["none", "none", "none", "price"], ["none", "none", "price", "price"]) == pytest.approx(0.5)


needs_dev = pytest.mark.skipif(not ud.dev_available(), reason="../shared/datasets not found (a fresh clone has none)")


@needs_dev
@pytest.mark.parametrize("name, loader", [("jddc_customer.jsonl", ud.load_jddc_customer),  # zh
                                          ("persuasion_persuadee.jsonl", ud.load_persuasion),  # en
                                          ("jddc_replies.jsonl", ud.load_jddc_replies)])
def test_every_second_label_matches_a_first_labelled_line(name, loader):
    rows, second = loader(None), _second(name)
    assert len(second) == len(rows)
    assert len(_matched(rows, second)) == len(rows)


@needs_dev
def test_agreement_reports_each_half_on_the_models_scale():
    report = agreement()
    for name in ("jddc_customer_zh", "persuasion_en"):
        for half in ("tune", "test"):
            figures = report[name][half]
            assert figures["n"] > 200
            assert 0.0 <= figures["binary_f1"] <= 1.0 and -1.0 <= figures["cohen_kappa"] <= 1.0
    assert report["jddc_replies_zh"]["test"]["n"] > 300
    assert -1.0 <= report["jddc_replies_zh"]["test"]["spearman"] <= 1.0


def test_text_report_prints_the_agreement_beside_the_model():
    from evals.understanding.report import text_lines

    half = {"binary_f1": 0.5, "type_macro_f1": 0.4, "n": 10, "objections": 2}
    report = {"real_dev": {"jddc_customer_zh": {"test": half}, "persuasion_en": {"test": half},
                           "jddc_replies_zh": {"test": {"spearman": 0.48, "n": 10}}},
              "annotator_agreement": {"jddc_customer_zh": {"test": {"binary_f1": 0.901}},
                                      "persuasion_en": {"test": {"binary_f1": 0.99}},
                                      "jddc_replies_zh": {"test": {"spearman": 0.89}}}}
    line = [x for x in text_lines(report) if x.startswith("[second annotator")]
    assert line and "0.901" in line[0] and "0.890" in line[0]


@needs_dev
def test_rep_move_agreement_covers_every_labelled_agent_line():
    from evals.understanding.agentune_moves import load_agentune_moves
    from evals.understanding.agreement import moves_agreement

    rows = load_agentune_moves()
    report = moves_agreement(rows)
    assert report["tune"]["lines"] + report["test"]["lines"] == len(rows)
    assert 0.0 <= report["test"]["macro_f1"] <= 1.0 and 0.0 <= report["test"]["exact"] <= 1.0


def test_text_report_prints_the_rep_move_figures():
    from evals.understanding.report import text_lines

    moves = {"jddc_test_real_words": {"macro_f1": 0.03, "macro_f1_cues": 0.06, "lines": 396}}
    lines = [x for x in text_lines({"real_dev": {"skipped": "no data"}, "rep_moves": moves}) if "rep moves" in x]
    assert lines == ["[rep moves, jddc_test_real_words] macro F1 0.03 vs cues 0.06 (n=396)"]
