"""The understanding layer: training is reproducible, the shipped artefact loads and reads both languages alike,
the data files validate, and a retrained model under COACH_HOME wins over the shipped one."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from evals.understanding import data as ud
from knowledge.index.fakes import HashEmbedder
from knowledge.taxonomy import STEPS
from knowledge.understanding import UnderstandingModel, get_understanding
from knowledge.understanding.features import strip_fillers


def _small_data():
    """A fixture-sized slice of the project's own training data (both languages, every file)."""
    lines = [r for r in ud.load_customer_lines() if r["source"].startswith("customer_")]
    pairs = [r for r in ud.load_pairs() if r["source"].startswith("pairs_")]
    pick = lambda rows, key, n: sorted(rows, key=lambda r: hashlib.sha1(r[key].encode()).hexdigest())[:n]  # noqa: E731
    return pick(lines, "text", 160), pick(pairs, "customer", 90)


def test_training_on_a_small_fixture_is_reproducible_and_loads(tmp_path):
    from evals.understanding.train import train

    data = _small_data()
    seen = []
    first = train(HashEmbedder(), tmp_path / "a.npz", data, progress=lambda *a: seen.append(a))
    train(HashEmbedder(), tmp_path / "b.npz", data)
    assert seen and seen[-1][1] == seen[-1][2]  # the progress callback reached the end
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:  # same data, same seed: the same weights, bit for bit
            assert np.array_equal(a[name], b[name]), name
    assert first["customer_lines"] > 100 and first["pairs"] > 50
    model = UnderstandingModel(tmp_path / "a.npz", HashEmbedder())
    zh, en = model.read_customers(["太贵了，能便宜点吗", "Too expensive, any discount?"])
    assert sum(zh.probabilities.values()) == pytest.approx(1.0, abs=1e-3) and en.lang == "en"
    reading = model.read_replies([("太贵了", "理解。您是跟哪家比的？")])[0]
    assert set(reading.steps) == set(STEPS) and 0 <= model.score([reading])[0] <= 100


def test_a_retrained_model_under_coach_home_wins_over_the_shipped_one(tmp_path):
    from evals.understanding.train import train
    from knowledge.settings import get_settings
    from knowledge.understanding.loader import artefact_name, artefact_path

    shipped = artefact_path()
    assert shipped.is_file() and "knowledge" in str(shipped)
    local = get_settings().coach_home / "models" / artefact_name(get_settings().embedder)
    train(HashEmbedder(), local, _small_data())
    assert artefact_path() == local


def test_shipped_model_same_input_same_output():
    model = get_understanding()
    pairs = [("太贵了", "理解。您是跟哪家比的？"), ("Too expensive", "I understand. Who are you comparing us with?")]
    first = [r.model_dump() for r in model.read_replies(pairs)]
    assert first == [r.model_dump() for r in model.read_replies(pairs)]
    assert model.score(model.read_replies(pairs)) == model.score(model.read_replies(pairs))


def test_same_meaning_scores_alike_in_both_languages_on_the_parallel_set():
    """A slice of the parallel set: zh and en versions of one reply land within 20 points of each other
    on most rows (the full figure is ``coach eval understanding``)."""
    model = get_understanding()
    rows = ud.load_parallel()[:60]
    zh = model.score(model.read_replies([(r["zh"]["customer"], r["zh"]["reply"]) for r in rows]))
    en = model.score(model.read_replies([(r["en"]["customer"], r["en"]["reply"]) for r in rows]))
    close = sum(abs(a - b) <= 20 for a, b in zip(zh, en, strict=True)) / len(rows)
    assert close >= 0.85 and abs(np.mean(zh) - np.mean(en)) <= 8


@pytest.mark.parametrize(("padded", "plain"), [
    ("嗯，这个，怎么说呢，就是说，您说得对。", "您说得对。"),
    ("um, well, you know, basically, You're right.", "You're right."),
])
def test_fillers_are_read_as_nothing(padded, plain):
    assert strip_fillers(padded) == plain
    assert strip_fillers("I like the idea, well done.") == "I like the idea, well done."


def test_every_training_file_validates_and_holds_no_parallel_eval_text():
    lines, pairs = ud.load_customer_lines(), ud.load_pairs()
    own = {(r["text"], r["lang"]) for r in lines if r["source"].startswith("customer_")}
    written = own | {(r["customer"], r["lang"]) for r in pairs if r["source"].startswith("pairs_")}
    assert len(own) >= 4000
    assert sum(lang == "zh" for _, lang in own) / len(own) >= 0.6  # the issue's ≥ 60 % Chinese customer lines
    # counting the pairs' customer lines too: measured 0.59, kept as a floor that cannot slip
    assert sum(lang == "zh" for _, lang in written) / len(written) >= 0.58
    assert len([r for r in pairs if r["source"].startswith("pairs_")]) >= 3000
    parallel = ud.load_parallel()
    assert len(parallel) >= 300
    evaluation = {r[lang][side] for r in parallel for lang in ("zh", "en") for side in ("reply",)}
    assert not evaluation & {r["reply"] for r in pairs}  # the parity set is never trained on


def test_bad_training_row_names_file_line_and_field(tmp_path):
    (tmp_path / "customer_x.jsonl").write_text(
        json.dumps({"text": "太贵了", "lang": "zh", "objection": "pricey", "sentiment": 0}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    with pytest.raises(ud.DataError, match=r"customer_x.jsonl line 1: field 'objection'"):
        ud.load_customer_lines(tmp_path)


def test_dev_label_files_hold_keys_not_text():
    for path in ud.DEV_DIR.glob("*.jsonl"):
        for _number, row in ud.read_jsonl(path):
            assert "text" not in row and "reply" not in row and len(row["sha"]) == 8


@pytest.mark.skipif(not ud.dev_available(), reason="../shared/datasets is absent (a fresh clone has none)")
def test_dev_sets_resolve_to_real_lines_split_by_conversation():
    jddc, persuasion = ud.load_jddc_customer(), ud.load_persuasion()
    assert len(jddc) >= 500 and len(persuasion) >= 400 and len(ud.load_jddc_replies()) >= 200
    for rows, key in ((jddc, "session"), (persuasion, "dialogue")):
        halves = {}
        for r in rows:
            halves.setdefault(r[key], set()).add(r["half"])
        assert all(len(h) == 1 for h in halves.values())  # no conversation straddles the halves
