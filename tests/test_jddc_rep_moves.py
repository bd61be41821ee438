"""The rep-move heads' Chinese real-words check: JDDC service-agent replies labelled by GUIDE.md.

The label file holds keys only (the licence allows evaluation and labelling, not shipping the text), so the tests
that read real text skip without ``../shared/datasets``. The loader's unit tests build a tiny chat.tsv under
``tmp_path``: the set is Chinese-only (JD.com service chat), so the fixture is Chinese and the English side of the
check is that no row comes back tagged 'en'.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from conftest import shared_dataset

from evals.understanding import jddc_moves
from evals.understanding.data import DEV_DIR, dev_half, read_jsonl
from evals.understanding.jddc_moves import LABELS, load_jddc_moves
from evals.understanding.moves_eval import rep_moves_report
from evals.understanding.train_moves import MOVES

FIELDS = ("asks", "offers", "instruction", "small_talk", "pressure", "put_down", "cost")


class _QuietModel:
    """Stands in for the heads (fires nothing) so the report's shape is tested without the encoder."""

    path = "quiet"
    moves = tuple(MOVES)

    def probabilities(self, texts, cue_hits):
        return np.zeros((len(texts), len(self.moves)))

    def decide(self, probabilities):
        return np.asarray(probabilities) >= 0.5


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def test_every_label_row_matches_its_line_and_covers_the_replies_set():
    shared_dataset("jddc-sample-zh")
    rows = load_jddc_moves()
    replies = {row["row"]: row for _n, row in read_jsonl(DEV_DIR / "jddc_replies.jsonl")}
    assert sorted(r["row"] for r in rows) == sorted(replies)
    for r in rows:
        assert (r["session"], r["sha"]) == (replies[r["row"]]["session"], replies[r["row"]]["sha"])
        assert _sha(r["text"]) == r["sha"] and r["lang"] == "zh"
        assert set(r["asks"]) <= {"budget", "timeline", "decision", "vendor", "pain", "volume"}
        assert set(r["offers"]) <= {"trial", "discount", "case_study", "references", "visit", "guarantee", "contract"}


def test_label_file_holds_keys_only():
    """No text from the dataset may sit in the project: each row has exactly the key and label fields."""
    first = json.loads(LABELS.read_text(encoding="utf-8").splitlines()[0])
    assert "_meta" in first
    for _n, row in read_jsonl(LABELS):
        assert set(row) == {"session", "row", "sha", *FIELDS}


def test_report_has_both_jddc_halves():
    shared_dataset("jddc-sample-zh")
    report = rep_moves_report(model=_QuietModel())
    tune, test = report["jddc_tune_real_words"], report["jddc_test_real_words"]
    rows = load_jddc_moves()
    assert tune["lines"] == sum(r["half"] == "tune" for r in rows) > 0
    assert test["lines"] == sum(r["half"] == "test" for r in rows) > 0
    assert tune["lines"] + test["lines"] == len(rows)
    assert "macro_f1_zh" in test and "macro_f1_en" not in test
    assert set(test["f1"]) == set(MOVES)


def test_report_says_why_when_the_datasets_are_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(jddc_moves, "shared_datasets", lambda root=None: tmp_path)
    report = rep_moves_report(model=_QuietModel())
    assert "jddc_test_real_words" not in report and "jddc_tune_real_words" not in report
    assert "jddc-sample-zh" in report["jddc_real_words_skipped"]


# -- the loader on a fixture -------------------------------------------------------------------------------

CHAT = [  # session, user, speaker, ..., text (7 tab-separated fields, as in chat.tsv)
    ("s-zh-1", "0", "您好，这款有赠品吗"),
    ("s-zh-1", "1", "亲，现在下单送一张运费券哦"),
    ("s-zh-1", "0", "好的"),
    ("s-zh-1", "1", "请问还有其他可以帮到您的吗?"),
    ("s-zh-2", "0", "坏了能换吗"),
    ("s-zh-2", "1", "七天无理由退货，十五天包换的呢"),
]


def _fixture(tmp_path):
    folder = tmp_path / "jddc-sample-zh"
    folder.mkdir()
    folder.joinpath("chat.tsv").write_text(
        "".join(f"{s}\tUSERID_1\t{sp}\t0\t0\tnan\t{text}\n" for s, sp, text in CHAT), encoding="utf-8")
    empty = {"asks": [], "offers": [], "instruction": False, "small_talk": False, "pressure": False,
             "put_down": False, "cost": False}
    labels = [{"_meta": "fixture"},
              {"session": "s-zh-1", "row": 1, "sha": _sha(CHAT[1][2]), **empty, "offers": ["discount"]},
              {"session": "s-zh-1", "row": 3, "sha": _sha(CHAT[3][2]), **empty},
              {"session": "s-zh-2", "row": 5, "sha": _sha(CHAT[5][2]), **empty, "offers": ["guarantee"]}]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labels), encoding="utf-8")
    return path


def test_loader_reads_chinese_text_by_row_and_splits_by_session(tmp_path):
    rows = load_jddc_moves(tmp_path, _fixture(tmp_path))
    assert [r["text"] for r in rows] == [CHAT[1][2], CHAT[3][2], CHAT[5][2]]
    assert [r["offers"] for r in rows] == [["discount"], [], ["guarantee"]]
    assert [r["half"] for r in rows] == [dev_half("s-zh-1"), dev_half("s-zh-1"), dev_half("s-zh-2")]
    assert {r["lang"] for r in rows} == {"zh"}  # zh-only set: no row may be read as English


def test_loader_names_the_label_line_whose_text_changed(tmp_path):
    labels = _fixture(tmp_path)
    chat = tmp_path / "jddc-sample-zh" / "chat.tsv"
    chat.write_text(chat.read_text(encoding="utf-8").replace("运费券", "优惠券"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"lines \[2\].*sha1 changed"):
        load_jddc_moves(tmp_path, labels)


def test_loader_without_the_dataset_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="jddc-sample-zh"):
        load_jddc_moves(tmp_path)
