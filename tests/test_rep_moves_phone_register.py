"""The rep-move heads hear the questions of real sales calls (issue 14): which provider the customer uses now and
since when, what they pay now, how many vehicles or staff, a question after an empathy opener, and intake
questions that ask none of these. Each case was misread by the heads trained on the team's first lines only;
the sentences were written for this test and are not training lines (checked below). Also: ``--ship`` rewrites
only the figures block of the data card."""

from __future__ import annotations

import pytest

from coach.roleplay.rep_moves import read_move
from evals.understanding.train_moves import load_moves

HEARD = [
    # which provider, and for how long
    ("zh", "你们跟现在这家快递公司签了几年了？", ("vendor",)),
    ("en", "Which insurer covers your vans at the moment?", ("vendor",)),
    ("en", "How long has your company been with that payroll provider?", ("vendor",)),
    # what they pay now (budget, not vendor: GUIDE.md)
    ("zh", "现在每个月网费交多少钱？", ("budget",)),
    ("zh", "目前每台车一年的保费大概多少？", ("budget",)),
    ("en", "What are you paying per year on the fleet policy right now?", ("budget",)),
    ("en", "How much does your current cleaning company bill you a month?", ("budget",)),
    # an empathy opener before the question, and two questions in one sentence
    ("zh", "理解您的顾虑，现在一年保费交多少？", ("budget",)),
    ("zh", "您现在宽带是哪家的，一个月多少钱？", ("vendor", "budget")),
    # intake questions ask about no deal topic
    ("zh", "您的车是哪一年买的？", ()),
    ("zh", "您驾龄几年了？", ()),
]


@pytest.mark.parametrize("lang,text,asks", HEARD)
def test_a_sales_call_question_is_heard_as_what_it_asks(lang, text, asks):
    assert set(read_move(text).questions) == set(asks)


def test_the_cases_are_not_training_lines():
    trained = {r["text"] for r in load_moves()}
    assert not trained & {text for _, text, _ in HEARD}


def test_ship_rewrites_only_the_figures_block_of_the_card(tmp_path):
    from evals.understanding.data import DataError
    from evals.understanding.moves_card import END, START, write_moves_card

    scores = {"lines": 2, "macro_f1": 0.5, "macro_f1_cues": 0.25, "exact": 0.5, "exact_cues": 0.0,
              "macro_f1_zh": 0.5, "f1": {"asks:budget": 0.5, "cost": None}, "f1_cues": {"asks:budget": 0.25, "cost": None}}
    rows = [{"text": "现在每个月交多少？", "lang": "zh", "register": "b2b_phone"},
            {"text": "What do you pay a month?", "lang": "en", "register": "chat"}]
    card = tmp_path / "CARD.md"
    card.write_text(f"# card\nhand-written\n{START}\nstale figures\n{END}\nfailure modes\n", encoding="utf-8")
    write_moves_card(card, rows, {"heldout_team_written": scores})
    text = card.read_text(encoding="utf-8")
    assert "stale figures" not in text and "hand-written" in text and text.endswith("failure modes\n")
    assert "2 rep lines that the team wrote (1 zh, 1 en" in text and "| 0.50 (zh 0.50) | 0.25 |" in text
    assert "| `cost` | – / – |" in text
    card.write_text("# a card without the block\n", encoding="utf-8")
    with pytest.raises(DataError, match="no figures block"):
        write_moves_card(card, rows, {"heldout_team_written": scores})
