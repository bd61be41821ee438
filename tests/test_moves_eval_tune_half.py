"""The rep-move report gives the real-words tune half its own figure (for choosing thresholds and data), next to
the test half, so nobody has to look at the test half to tune. Lines are written for this test, in both languages,
standing in for the labelled agentune rows."""

from __future__ import annotations

import pytest

from evals.understanding import agentune_moves
from evals.understanding.moves_eval import rep_moves_report
from evals.understanding.train_moves import MOVES


def _row(text: str, lang: str, half: str, conversation: str, asks=()) -> dict:
    return {"conversation": conversation, "sha": "0" * 8, "text": text, "lang": lang, "half": half,
            "asks": list(asks), "offers": [], "instruction": False, "small_talk": False, "pressure": False,
            "put_down": False, "cost": False}


ROWS = {
    "en": [
        _row("Who's your current carrier for the truck?", "en", "tune", "c-en-1", ["vendor"]),
        _row("Okay, one moment while I pull that up.", "en", "tune", "c-en-1"),
        _row("What are you paying a month right now?", "en", "tune", "c-en-2", ["budget"]),
        _row("How many cars are we quoting today?", "en", "test", "c-en-3", ["volume"]),
        _row("Great, thanks for holding.", "en", "test", "c-en-3"),
    ],
    "zh": [
        _row("您现在用的是哪家的系统？", "zh", "tune", "c-zh-1", ["vendor"]),
        _row("好的，我这边先记一下。", "zh", "tune", "c-zh-1"),
        _row("您现在每个月大概花多少？", "zh", "tune", "c-zh-2", ["budget"]),
        _row("您这边一共几家门店要用？", "zh", "test", "c-zh-3", ["volume"]),
        _row("好的，稍等我查一下。", "zh", "test", "c-zh-3"),
    ],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_scores_the_tune_half_apart_from_the_test_half(monkeypatch, lang):
    rows = ROWS[lang]
    monkeypatch.setattr(agentune_moves, "load_agentune_moves", lambda root=None: rows)
    report = rep_moves_report()
    tune, test = report["agentune_tune_real_words"], report["agentune_test_real_words"]
    assert tune["lines"] == sum(r["half"] == "tune" for r in rows) == 3
    assert test["lines"] == sum(r["half"] == "test" for r in rows) == 2
    assert set(tune["f1"]) == set(MOVES)
    assert f"macro_f1_{lang}" in tune and f"macro_f1_{'zh' if lang == 'en' else 'en'}" not in tune

