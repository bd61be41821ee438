"""Every shipped playbook loads, is bilingual and complete; bad files fail naming file, line and field."""

from __future__ import annotations

import shutil

import pytest

from knowledge.playbooks import PlaybookError, clear_cache, load_playbook_file, load_playbooks, load_shared
from knowledge.playbooks.loader import DATA_DIR
from knowledge.taxonomy import ANTI_PATTERNS, OBJECTION_TYPES, STEPS


@pytest.fixture(autouse=True)
def _fresh():
    clear_cache()
    yield
    clear_cache()


def test_every_objection_type_has_a_complete_bilingual_playbook():
    books = load_playbooks()
    assert sorted(books) == sorted(OBJECTION_TYPES)
    for name, book in books.items():
        assert len(book.triggers.exemplars.zh) >= 8 and len(book.triggers.exemplars.en) >= 8, name
        assert book.triggers.phrases.zh and book.triggers.phrases.en, name
        assert [s.id for s in book.steps] == list(STEPS), name
        for step in book.steps:
            assert step.description.zh and step.description.en
            assert len(step.exemplars.zh) >= 2 and len(step.exemplars.en) >= 2, (name, step.id)
            assert step.cues.zh and step.cues.en, (name, step.id)
        assert [a.id for a in book.anti_patterns] == list(ANTI_PATTERNS)


def test_price_playbook_carries_the_breakthrough_pack():
    flow = load_playbooks()["price"].flow("price_breakthrough_pack")
    assert flow.title.zh == "价格谈判突破包"
    kinds = [p.kind for p in flow.parts]
    assert kinds.count("concession") == 3 and kinds.count("value_anchor") == 2 and kinds.count("risk_hedge") == 1
    assert [p.tier for p in flow.parts if p.kind == "concession"] == [1, 2, 3]


def test_shared_guide_has_signals_and_non_objection_exemplars():
    shared = load_shared()
    assert set(shared.decision_signals) == {
        "procurement_meeting", "budget_confirmed", "decision_maker_named",
        "competitor_trial", "timeline_set", "next_step_agreed"}
    assert len(shared.non_objection_exemplars.zh) >= 10


def test_bad_field_names_file_line_and_field(tmp_path):
    bad = tmp_path / "price.yaml"
    text = (DATA_DIR / "price.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("- id: clarify", "- id: interrogate", 1), encoding="utf-8")
    with pytest.raises(PlaybookError) as err:
        load_playbook_file(bad)
    message = str(err.value)
    line = next(i for i, row in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "interrogate" in row)
    assert str(bad) in message and f"line {line}" in message and "steps.1.id" in message
    assert "unknown step 'interrogate'" in message


def test_broken_yaml_names_the_line(tmp_path):
    bad = tmp_path / "trust.yaml"
    bad.write_text("objection: trust\ntitle: {zh: 信任\n", encoding="utf-8")
    with pytest.raises(PlaybookError, match=r"trust.yaml line \d+: not valid YAML"):
        load_playbook_file(bad)


def test_trainer_folder_replaces_a_shipped_playbook(tmp_path):
    shutil.copy(DATA_DIR / "stall.yaml", tmp_path / "stall.yaml")
    text = (tmp_path / "stall.yaml").read_text(encoding="utf-8")
    (tmp_path / "stall.yaml").write_text(text.replace("title:\n  zh: 拖延异议", "title:\n  zh: 拖延（培训版）"),
                                         encoding="utf-8")
    books = load_playbooks(tmp_path)
    assert books["stall"].title.zh == "拖延（培训版）"
    assert books["stall"].source.startswith(str(tmp_path))
    assert load_playbooks()["stall"].title.zh == "拖延异议"


def test_bad_regex_cue_is_reported(tmp_path):
    bad = tmp_path / "need.yaml"
    text = (DATA_DIR / "need.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("    - 太重\n", "    - '太重('\n", 1), encoding="utf-8")
    with pytest.raises(PlaybookError, match="not a valid regular expression"):
        load_playbook_file(bad)


def test_a_cue_with_a_backspace_from_yaml_double_quotes_is_refused_with_the_fix(tmp_path):
    """YAML reads "\\bprice\\b" in double quotes as backspaces: such a cue never matched and nobody noticed."""
    bad = tmp_path / "need.yaml"
    text = (DATA_DIR / "need.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("    - 太重\n", '    - "\\b太重\\b"\n', 1), encoding="utf-8")
    with pytest.raises(PlaybookError, match="control character.*single quotes"):
        load_playbook_file(bad)


@pytest.mark.parametrize("text, objection", [("Your prices are way out of line.", "price"),
                                             ("现在太忙了, let's talk later.", "timing"),
                                             ("The CFO signs off on anything like this.", "authority")])
def test_word_boundary_cues_in_the_shipped_playbooks_match(text, objection):
    import re

    books = load_playbooks()
    patterns = [*books[objection].triggers.phrases.zh, *books[objection].triggers.phrases.en]
    assert all(ch >= " " for p in patterns for ch in p)
    assert any(re.search(p, text, re.IGNORECASE) for p in patterns if "\\b" in p)


def test_a_trainer_saved_playbook_replaces_the_shipped_one_everywhere(coach_env):
    """A file in COACH_HOME/playbooks is picked up by default (grading, detection, hints, live)."""
    from importlib import resources

    from knowledge.playbooks import clear_cache, load_playbooks
    from knowledge.settings import get_settings

    shipped = (resources.files("knowledge.playbooks") / "data" / "timing.yaml").read_text(encoding="utf-8")
    folder = get_settings().playbook_dir
    folder.mkdir(parents=True)
    (folder / "timing.yaml").write_text(shipped.replace("时机异议", "时机异议（本团队版）", 1), encoding="utf-8")
    clear_cache()
    try:
        assert load_playbooks()["timing"].title.zh == "时机异议（本团队版）"
        assert load_playbooks()["price"].source.endswith("price.yaml")
    finally:
        clear_cache()
