"""Trainer page (issue #17 items 10-12), without a server, each in Chinese and English: the editor shows the
stored version with a history and a diff; a CRM export with Chinese or English column names is mapped by a
guess (page and CLI, --map still wins); the anonymization review lists every find of the whole file, counts
per kind, and the trainer's un-mask / add-term choices change what the import stores."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from knowledge.importers import iter_file
from knowledge.importers.column_guess import describe, guess_mapping
from knowledge.index import BM25Index, HashEmbedder, HybridIndex, MemoryVectorStore
from scenarios.library import library_text
from ui.pages import author, author_import
from ui.pages.author_review import Choices


@pytest.fixture
def users(db):
    from coach.users import ensure_demo_users, get_user

    ensure_demo_users()

    def as_state(name: str, lang: str) -> dict:
        user = get_user(name)
        return {"id": user.id, "username": user.username, "name": user.display_name,
                "roles": sorted(user.role_set), "lang": lang}

    return as_state


# --- item 10: versions ----------------------------------------------------------------------------------
SCENARIOS = {  # (scenario, a line to edit, its replacement)
    "zh": ("zh-saas-price", "max_turns: 10", "max_turns: {n}"),
    "en": ("en-shop-price", "max_turns: 10", "max_turns: {n}"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_editor_shows_the_stored_version_history_and_diff(users, lang):
    from ui.pages import author_versions

    scenario_id, line, edit = SCENARIOS[lang]
    text = library_text(scenario_id)
    if "version:" not in text:
        text += "version: 1\n"
    assert line in text
    trainer = users("trainer", lang)
    author.publish_text(trainer, text.replace(line, edit.format(n=11)))  # v2 (v1 is the shipped file)
    for n in (12, 13):  # two more versions, every text still saying "version: 1"
        author.publish_text(trainer, text.replace(line, edit.format(n=n)))
    shown = author.scenario_yaml(scenario_id)
    stored = [r[0] for r in author_versions.history_rows(scenario_id, lang)]
    assert "version: 4" in shown and "version: 1" not in shown and stored == [4, 3, 2]
    assert "max_turns: 13" in shown
    note = author_versions.loaded_note(scenario_id, 4, lang)
    assert note == ({"zh": f"编辑器中：{scenario_id} v4（共 3 个版本）",
                     "en": f"In the editor: {scenario_id} v4 (3 version(s) stored)"}[lang])
    diff = author_versions.diff_html(scenario_id, 2, 4, lang)
    assert "-max_turns: 11" in diff and "+max_turns: 13" in diff
    assert {"zh": "v2 → v4 的差异", "en": "Changes from v2 to v4"}[lang] in diff
    assert author.scenario_version(scenario_id, 3)[1].count("max_turns: 12") == 1
    same = author_versions.diff_html(scenario_id, 3, 3, lang)
    assert {"zh": "v3 与 v3 内容相同", "en": "v3 and v3 are identical"}[lang] in same


# --- item 11: column mapping ----------------------------------------------------------------------------
CRM = {
    "zh": ("客户,时间,角色,内容,结果\n"
           "王女士,2026-01-15 10:02,销售,您好，我是顾问小陈,成交\n"
           "王女士,2026-01-15 10:03,客户,价格太贵了,成交\n"
           "李先生,2026-01-16 09:00,销售,李先生您好,\n"
           "李先生,2026-01-16 09:01,客户,我们再考虑一下,\n"),
    "en": ("Customer,Time,Role,Content,Result\n"
           "Ms Wang,2026-01-15 10:02,Agent,Hello there from the sales team,won\n"
           "Ms Wang,2026-01-15 10:03,Customer,That is too expensive for us,won\n"
           "Mr Li,2026-01-16 09:00,Agent,Hi Mr Li,\n"
           "Mr Li,2026-01-16 09:01,Customer,We will think about it,\n"),
}
GUESSED = {
    "zh": {"conversation_id": "客户", "timestamp": "时间", "author": "角色", "message": "内容", "outcome": "结果"},
    "en": {"conversation_id": "Customer", "timestamp": "Time", "author": "Role", "message": "Content",
           "outcome": "Result"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_column_names_are_guessed_in_both_languages(lang):
    header = CRM[lang].partition("\n")[0].split(",")
    assert guess_mapping(header) == GUESSED[lang]
    assert guess_mapping(header, {"conversation_id": header[3]})["conversation_id"] == header[3]
    assert "message" not in guess_mapping(header, {"conversation_id": header[3]})  # a column serves one field


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_crm_export_imports_without_a_map(tmp_path, lang):
    path = tmp_path / "crm.csv"
    path.write_text(CRM[lang], encoding="utf-8")
    records = [item[1] for item in iter_file(path)]
    assert [len(r.turns) for r in records] == [2, 2]
    assert [r.outcome for r in records] == ["won", "open"]
    assert records[0].turns[0].speaker == "rep" and records[0].turns[1].speaker == "customer"


def test_guess_never_echoes_a_data_row():
    first_row = ["王芳", "13812345678", "您好，我想了解一下你们的课程内容和价格，方便的话回个电话"]
    mapping = guess_mapping(first_row)
    assert "13812345678" not in describe(mapping, first_row) and "王芳" not in describe(mapping, first_row)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`coach` with a model-free index, a pass-through anonymizer and no tagger (as tests/test_ingest_cli.py)."""
    import knowledge.index
    import knowledge.ingest
    from ui.cli.app import _load_commands, app

    index = HybridIndex(MemoryVectorStore(), BM25Index(tmp_path / "bm25"), HashEmbedder())
    monkeypatch.setattr(knowledge.index, "get_index", lambda: index)
    monkeypatch.setattr(knowledge.ingest, "default_anonymizer", lambda: lambda r: r)
    monkeypatch.setattr(knowledge.ingest, "default_tagger", lambda: None)
    _load_commands()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_ingest_guesses_columns_and_map_overrides(cli, tmp_path, lang):
    path = tmp_path / "crm.csv"
    path.write_text(CRM[lang], encoding="utf-8")
    result = cli("ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "read 2, new 2" in result.output
    assert f"message←{GUESSED[lang]['message']}" in result.output
    wrong = cli("ingest", str(path), "--map", f"message={GUESSED[lang]['timestamp']}")  # --map wins over the guess
    assert "read 2" in wrong.output and "new 0, updated 2" in wrong.output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_mapping_step_guesses_and_previews(tmp_path, lang):
    path = tmp_path / "crm.csv"
    path.write_text(CRM[lang], encoding="utf-8")
    header, guessed = author_import.guess_columns(path)
    assert guessed == GUESSED[lang] and header[0] == GUESSED[lang]["conversation_id"]
    preview = author_import.review(path, guessed, Choices())
    assert preview["records"] == 2 and len(preview["samples"]) == 4
    html = author_import.review_html(preview, lang)
    assert {"zh": "导入预览（前 4 轮，已脱敏）", "en": "Import preview (first 4 turns, anonymized)"}[lang] in html
    assert author_import.missing_fields({"author": "x"}, lang) == [{"zh": "内容", "en": "message"}[lang]]


# --- item 12: the full anonymization review -------------------------------------------------------------
def _deal(deal_id: str, lang: str, turns: list[tuple[str, str]]) -> str:
    return json.dumps({"deal_id": deal_id, "lang": lang, "industry": "saas", "outcome": "won",
                       "turns": [{"speaker": s, "text": t} for s, t in turns]}, ensure_ascii=False)


LATE = {  # ten plain deals, personal data only in the ninth; a product name the detectors may tag; a missed term
    "zh": {"plain": [("rep", "您好，想了解一下您的需求。"), ("customer", "我们先看看价格。")],
           "late": [("rep", "张伟您好，我是顾问。"), ("customer", "太贵了，打我电话13812345678，内部代号青鸟计划。")],
           "phone": "13812345678", "term": "青鸟计划", "label": "[已屏蔽]"},
    "en": {"plain": [("rep", "Hi, what are you looking for?"), ("customer", "Let us talk about price first.")],
           "late": [("rep", "Hi John Smith, thanks for your time."),
                    ("customer", "Too pricey. Call me at (415) 555-0134, project Bluebird is internal.")],
           "phone": "(415) 555-0134", "term": "Bluebird", "label": "[REDACTED]"},
}


def _late_file(tmp_path, lang: str):
    data = LATE[lang]
    lines = [_deal(f"d{i}", lang, data["late"] if i == 9 else data["plain"]) for i in range(1, 11)]
    path = tmp_path / f"deals-{lang}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_review_shows_finds_in_late_deals_with_counts(tmp_path, lang):
    data = LATE[lang]
    preview = author.anonymization_preview(_late_file(tmp_path, lang))
    assert preview["records"] == 10
    assert any(f["deal"] == 9 and f["kind"] == "phone" and f["text"] == data["phone"] for f in preview["finds"])
    assert preview["counts"]["phone"] == 1 and preview["counts"]["person"] >= 1
    html = author.anonymization_html(preview, lang)
    assert "#9·2" in html and data["phone"] in html
    assert {"zh": "电话: <b>1</b>", "en": "phone: <b>1</b>"}[lang] in html


def test_review_pages_through_every_find(tmp_path):
    lines = [_deal(f"p{i}", "zh", [("customer", f"电话1381234{i:04d}")]) for i in range(45)]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    preview = author.anonymization_preview(path)
    assert preview["counts"] == {"phone": 45}
    last = author.anonymization_html(preview, "zh", page=3)
    assert "第 3/3 页" in last and "#45·1" in last and "#1·1" not in last
    assert "page 1/3" in author.anonymization_html(preview, "en", page=1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unmask_and_added_term_change_what_is_stored(db, tmp_path, lang):
    from sqlmodel import select

    from knowledge.db import session
    from knowledge.ingest import ingest_path, make_tagger
    from knowledge.tables import DealRow

    data = LATE[lang]
    staged = author.stage_upload(_late_file(tmp_path, lang), "deals.jsonl")
    preview = author.anonymization_preview(staged)
    person = next(f["text"] for f in preview["finds"] if f["kind"] == "person")
    choices = Choices.parse([person], f"{data['term']}, x")
    reviewed = author_import.review(staged, None, choices)
    after = " ".join(a for _, _, a in reviewed["turns"])
    assert person in after and data["term"] not in after and data["label"] in after
    assert reviewed["kept"] == {person: 1} and reviewed["counts"]["term"] == 1

    index = HybridIndex(MemoryVectorStore(), BM25Index(tmp_path / "bm25"), HashEmbedder())
    tagger = make_tagger(lambda text, lang=None: [], lambda text: [])
    report = author_import.import_deals(staged, lambda *_: None, 10, choices=choices,
                                        ingest=lambda path, **kw: ingest_path(path, index=index, tag=tagger, **kw))
    assert report.new == 10 and not staged.parent.exists()
    with session() as s:
        rows = [json.loads(r.record_json) for r in s.exec(select(DealRow)).all()]
    stored = json.dumps(rows, ensure_ascii=False)
    assert person in stored  # un-masked at the trainer's request
    assert data["term"] not in stored and data["label"] in stored  # the missed term is masked
    assert data["phone"] not in stored  # everything else is still masked
    assert all(r["competitors"] == [] for r in rows)  # the keep list is not stored as competitors
