"""Intervals over conversations for the real dev figures, and the paired comparison of two models
(evals/understanding/intervals.py, compare.py): whole conversations are resampled, identical predictions differ
by exactly nothing, a model that fixes errors across many conversations is "better", and the predictions file
carries row numbers and labels, never a line's text."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from evals.understanding import compare as cmp
from evals.understanding.intervals import interval, paired_difference, resamples
from evals.understanding.runner import _detection, binary_f1, detection_figures


def _items(n_conversations: int, wrong_every: int, lang: str) -> list[dict]:
    """Four lines per conversation, one objection each; the model misses it in every ``wrong_every``-th one."""
    rows = []
    for c in range(n_conversations):
        for i in range(4):
            gold = "price" if i == 0 else "none"
            pred = "none" if (i == 0 and c % wrong_every == 0) else gold
            rows.append({"row": c * 4 + i, "conversation": f"{lang}-{c}", "gold": gold, "pred": pred,
                         "p_objection": 0.9 if pred != "none" else 0.1})
    return rows


def test_resamples_keep_whole_conversations_and_repeat_with_the_seed():
    groups = ["会话甲"] * 3 + ["会话乙"] * 2 + ["dialogue-c"] * 4
    first, again = resamples(groups, 50, seed=7), resamples(groups, 50, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    sizes = {"会话甲": 3, "会话乙": 2, "dialogue-c": 4}
    for idx in first:
        counts = {g: sum(groups[i] == g for i in idx) for g in sizes}
        assert all(counts[g] % sizes[g] == 0 for g in sizes)  # a conversation comes whole or not at all


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_interval_holds_the_figure_and_narrows_with_more_conversations(lang):
    widths = []
    for n in (20, 200):
        rows = _items(n, wrong_every=3, lang=lang)
        gold, pred = [r["gold"] for r in rows], [r["pred"] for r in rows]
        low, high = interval([r["conversation"] for r in rows], detection_figures(gold, pred)["binary_f1"])
        assert low <= binary_f1(gold, pred) <= high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2


def test_identical_predictions_differ_by_nothing_and_fixing_errors_reads_better():
    before = _items(60, wrong_every=2, lang="zh")
    same = paired_difference([r["conversation"] for r in before],
                             *[detection_figures([r["gold"] for r in before], [r["pred"] for r in before])["binary_f1"]] * 2)
    assert same == {"difference": 0.0, "ci95": [0.0, 0.0], "p_not_better": 1.0}
    after = _items(60, wrong_every=6, lang="zh")  # the same lines, two thirds of the misses fixed
    result = cmp.compare({"jddc_customer_zh/tune": before}, {"jddc_customer_zh/tune": after})
    f1 = result["jddc_customer_zh/tune"]["binary_f1"]
    assert f1["after"] > f1["before"] and f1["ci95"][0] > 0 and f1["p_not_better"] < 0.025
    assert "better" in cmp.text_lines(result)[0]


def test_compare_reads_reply_scores_by_spearman_and_only_shared_lines():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 100, 120)
    before = [{"row": i, "conversation": f"s{i // 3}", "gold": int(g), "pred": int(rng.integers(0, 100))}
              for i, g in enumerate(gold)]
    after = [{**r, "pred": r["gold"]} for r in before[:100]]  # a perfect ranker on the first 100 lines only
    result = cmp.compare({"jddc_replies_zh/test": before}, {"jddc_replies_zh/test": after})
    figure = result["jddc_replies_zh/test"]
    assert figure["n"] == 100 and figure["spearman"]["after"] == pytest.approx(1.0)
    assert figure["spearman"]["ci95"][0] > 0


def test_the_command_explains_a_missing_or_foreign_file(tmp_path, capsys):
    good = tmp_path / "before.json"
    good.write_text(json.dumps({"persuasion_en/tune": _items(10, 2, "en")}), encoding="utf-8")
    assert cmp.main([str(good), str(tmp_path / "absent.json")]) == 2
    assert "--predictions" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"something/else": []}), encoding="utf-8")
    assert cmp.main([str(good), str(other)]) == 2
    assert cmp.main([str(good), str(good), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["persuasion_en/tune"]["binary_f1"]["difference"] == 0.0


class _Reader:
    """Reads a line as an objection when it names a price (zh or en): enough to drive the eval's bookkeeping."""

    def read_customers(self, texts):
        return [SimpleNamespace(objection="price" if ("贵" in t or "price" in t) else "none",
                                p_objection=0.8 if ("贵" in t or "price" in t) else 0.1) for t in texts]


def test_dev_figures_carry_an_interval_and_items_without_text():
    rows = [{"row": i, "session": f"会话{i // 2}", "text": text, "objection": gold}
            for i, (text, gold) in enumerate([("太贵了吧", "price"), ("好的", "none"), ("能便宜点吗", "price"),
                                              ("在吗", "none"), ("The price is too high.", "price"), ("Thanks!", "none")])]
    found = _detection(_Reader(), rows, with_intervals=True)
    low, high = found["binary_f1_ci95"]
    assert low <= found["binary_f1"] <= high
    assert all(set(item) == {"row", "conversation", "gold", "pred", "p_objection"} for item in found["items"])
    assert not any(r["text"] in json.dumps(found["items"], ensure_ascii=False) for r in rows)
