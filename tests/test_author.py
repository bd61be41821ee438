"""Author page behaviour without a server: validation messages, publishing rights and versions, preview,
playbook editing, the anonymization preview before import, and upload-name sanitising."""

from __future__ import annotations

import json

import pytest

from scenarios.library import library_text
from ui.pages import author


@pytest.fixture
def users(db):
    from coach.users import ensure_demo_users, get_user

    ensure_demo_users()

    def as_state(name: str, lang: str = "zh") -> dict:
        user = get_user(name)
        return {"id": user.id, "username": user.username, "name": user.display_name,
                "roles": sorted(user.role_set), "lang": lang}

    return as_state


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- scenarios ------------------------------------------------------------------------------------------
def test_validate_points_at_line_and_field_in_chinese_and_english():
    text = library_text("zh-saas-price").replace("types: [price, competitor]", "types: [price, cheapness]")
    line = _line_of(text, "types: [price, cheapness]")
    ok, zh = author.validate_text(text, "zh")
    assert not ok and f"第 {line} 行 · 字段 objections.types[1]:" in zh and "cheapness" in zh
    ok, en = author.validate_text(text, "en")
    assert not ok and f"line {line} · field objections.types[1]:" in en
    ok, good = author.validate_text(library_text("en-shop-price"), "en")
    assert ok and "en-shop-price" in good and "pool individual" in good
    assert author.validate_text("  ", "zh") == (False, author.w("empty", "zh"))


def test_validate_escapes_what_the_trainer_typed():
    text = library_text("en-shop-price").replace("pool: individual", "pool: <img src=x onerror=alert(1)>")
    ok, message = author.validate_text(text, "en")
    assert not ok and "<img" not in message and "&lt;img" in message


def test_publish_needs_a_trainer_and_makes_versions(users):
    from scenarios import scenario_history

    text = library_text("zh-saas-price")
    with pytest.raises(PermissionError):
        author.publish_text(users("trainee"), text)
    with pytest.raises(PermissionError):
        author.publish_text(None, text)
    assert scenario_history("zh-saas-price") == []
    assert author.publish_text(users("trainer"), text) == "✔ 已发布 zh-saas-price v1"
    assert "未生成新版本" in author.publish_text(users("trainer"), text)
    changed = text.replace("max_turns: 10", "max_turns: 12")
    assert author.publish_text(users("admin", "en"), changed) == "✔ zh-saas-price v2 published"
    assert author.publish_text(users("trainer", "en"), changed) == "zh-saas-price v2 unchanged (same content, no new version)"
    broken = changed.replace("pool: individual", "pool: nowhere")
    message = author.publish_text(users("trainer"), broken)
    assert f"第 {_line_of(broken, 'pool: nowhere')} 行 · 字段 pool" in message
    assert [r.version for r in scenario_history("zh-saas-price")] == [1, 2]  # nothing stored from the broken one
    rows = {r[0]: r for r in author.scenario_rows()}
    assert rows["zh-saas-price"][4] == 2 and rows["en-shop-price"][4] == 1
    assert "max_turns: 12" in author.scenario_yaml("zh-saas-price")
    assert author.scenario_yaml("en-shop-price") == library_text("en-shop-price")


def test_good_script_preview_agrees_a_next_step():
    _, html = author.run_preview(library_text("zh-saas-price"), "good", 0, "zh")
    assert "next_step_agreed" in html


def test_author_role_comes_from_the_database_not_the_browser(users):
    forged = {**users("trainee"), "roles": ["trainer"]}
    with pytest.raises(PermissionError):
        author.publish_text(forged, library_text("en-shop-price"))


def test_preview_shows_scores_acts_and_outcome():
    message, html = author.run_preview(library_text("zh-saas-price"), "good", 0, "zh")
    assert message == ""
    assert "/100" in html and "raise_objection:price" in html and "学员" in html and "客户" in html
    assert "结果" in html  # the outcome is shown (which one: see the next test)
    _, poor = author.run_preview(library_text("en-shop-price"), "poor", 0, "en")
    assert "press_objection" in poor and "Trainee" in poor and "Outcome: unhandled" in poor
    broken = library_text("en-shop-price").replace("max_turns: 10", "max_turns: 0")
    message, html = author.run_preview(broken, "good", 0, "en")
    assert html == "" and f"line {_line_of(broken, 'max_turns: 0')} · field max_turns" in message


def test_preview_html_escapes_scenario_text():
    text = library_text("en-shop-price").replace(
        'title: "\\"That\'s too expensive for a small shop\\""', "title: <script>alert(1)</script>")
    assert "<script>" in text
    _, html = author.run_preview(text, "good", 0, "en")
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- playbooks ------------------------------------------------------------------------------------------
def _shipped_playbook(objection: str) -> str:
    """The packaged file itself (load_playbooks() prefers the trainer's copy once one is saved)."""
    from importlib import resources

    return (resources.files("knowledge.playbooks") / "data" / f"{objection}.yaml").read_text(encoding="utf-8")


def test_playbook_validation_names_line_and_field():
    text = _shipped_playbook("price").replace("objection: price", "objection: pricey", 1)
    playbook, message = author.check_playbook(text, "zh")
    assert playbook is None
    assert f"第 {_line_of(text, 'objection: pricey')} 行 · 字段 objection" in message and "pricey" in message
    _, en = author.check_playbook(text, "en")
    assert f"line {_line_of(text, 'objection: pricey')} · field objection" in en
    _, syntax = author.check_playbook("objection: price\nsteps: [\n", "en")
    assert syntax.startswith("- ✘ line ")
    playbook, ok = author.check_playbook(_shipped_playbook("stall"), "en")
    assert playbook is not None and playbook.objection == "stall" and "valid" in ok


def test_save_playbook_writes_the_trainer_folder_only(users):
    from knowledge.playbooks import clear_cache, load_playbooks

    shipped = _shipped_playbook("timing")
    edited = shipped.replace("zh: 时机异议", "zh: 时机异议（本团队版）", 1)
    assert edited != shipped
    with pytest.raises(PermissionError):
        author.save_playbook(users("trainee"), edited)
    message = author.save_playbook(users("trainer"), edited)
    target = author.trainer_playbook_dir() / "timing.yaml"
    assert target.read_text(encoding="utf-8") == edited and "timing" in message
    assert _shipped_playbook("timing") == shipped  # the package file is untouched
    assert author.playbook_text("timing") == edited
    clear_cache()
    assert load_playbooks(extra_dir=author.trainer_playbook_dir())["timing"].title.zh == "时机异议（本团队版）"
    assert load_playbooks()["timing"].title.zh == "时机异议（本团队版）"  # now the default everywhere
    bad = edited.replace("objection: timing", "objection: nope", 1)
    assert "字段 objection" in author.save_playbook(users("trainer"), bad)
    assert target.read_text(encoding="utf-8") == edited  # a bad save loses nothing
    with pytest.raises(LookupError):
        author.playbook_text("../../etc/passwd")


# --- deal upload ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/deals.csv", "deals.csv"),
    ("..\\..\\Windows\\calls.jsonl", "calls.jsonl"),
    ("C:\\Users\\me\\客户通话.xlsx", "客户通话.xlsx"),
    (".hidden.CSV", "hidden.csv"),
    ("a\x00b\n.txt", "ab.txt"),
    ("my deals; rm -rf *.csv", "my deals_ rm -rf _.csv"),
    ("a...csv", "a.csv"),
])
def test_upload_names_are_sanitised(name, expected):
    safe = author.safe_upload_name(name)
    assert safe == expected
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")


@pytest.mark.parametrize("name", ["evil.exe", "../../.bashrc", "", "deals.csv/../x.sh", "...csv"])
def test_unsupported_upload_names_are_refused(name):
    with pytest.raises(ValueError, match="upload one of"):
        author.safe_upload_name(name)


def test_stage_upload_stays_in_its_own_folder(tmp_path):
    source = tmp_path / "tmp123"
    source.write_text('{"deal_id": "x"}\n', encoding="utf-8")
    staged = author.stage_upload(source, "../../../../tmp/evil.jsonl")
    try:
        assert staged.name == "evil.jsonl" and staged.parent.name.startswith("coach-upload-")
        assert staged.resolve().parent == staged.parent.resolve()
        assert staged.read_text(encoding="utf-8") == '{"deal_id": "x"}\n'
    finally:
        import shutil

        shutil.rmtree(staged.parent)


def _deal(deal_id: str, lang: str, turns: list[tuple[str, str]]) -> str:
    return json.dumps({"deal_id": deal_id, "lang": lang, "industry": "saas", "outcome": "won",
                       "turns": [{"speaker": s, "text": t} for s, t in turns]}, ensure_ascii=False)


def test_anonymization_preview_masks_planted_name_and_phone_zh(tmp_path):
    path = tmp_path / "通话.jsonl"
    path.write_text("\n".join([
        _deal("d1", "zh", [("rep", "张伟您好，我是销售小李。"), ("customer", "价格太贵了，你打我电话13812345678再说。")]),
        "{broken",
    ]) + "\n", encoding="utf-8")
    preview = author.anonymization_preview(path)
    assert preview["records"] == 1 and preview["bad_rows"] == ["通话.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes at column 2)"]
    befores = " ".join(b for _, b, _ in preview["turns"])
    afters = " ".join(a for _, _, a in preview["turns"])
    assert "张伟" in befores and "13812345678" in befores
    assert "张伟" not in afters and "13812345678" not in afters and "[电话]" in afters
    kinds = {(k, t) for k, t, _ in preview["entities"]}
    assert ("person", "张伟") in kinds and ("phone", "13812345678") in kinds
    html = author.anonymization_html(preview, "zh")
    assert "脱敏后" in html and "通话.jsonl:2" in html


def test_anonymization_preview_masks_planted_name_and_phone_en(tmp_path):
    path = tmp_path / "calls.jsonl"
    path.write_text(_deal("d1", "en", [("rep", "Hi John Smith, thanks for taking the call."),
                                        ("customer", "Call me at (415) 555-0134, it is <b>too expensive</b>.")]) + "\n",
                    encoding="utf-8")
    preview = author.anonymization_preview(path)
    afters = " ".join(a for _, _, a in preview["turns"])
    assert "John Smith" not in afters and "555-0134" not in afters and "[PHONE]" in afters
    assert ("person", "John Smith") in {(k, t) for k, t, _ in preview["entities"]}
    html = author.anonymization_html(preview, "en")
    assert "<b>too" not in html and "&lt;b&gt;too" in html and "Anonymized" in html


def test_import_reports_progress_and_removes_the_raw_upload(db, tmp_path):
    from knowledge.index import BM25Index, HashEmbedder, HybridIndex, MemoryVectorStore
    from knowledge.ingest import ingest_path, make_tagger

    source = tmp_path / "upload.bin"
    source.write_text("\n".join([
        _deal("a1", "zh", [("rep", "张伟您好"), ("customer", "你们太贵了，电话13812345678")]),
        _deal("a2", "en", [("rep", "Hi John Smith"), ("customer", "Too expensive for us")]),
        '{"deal_id": "bad"}',
    ]) + "\n", encoding="utf-8")
    staged = author.stage_upload(source, "deals.jsonl")
    total = author.anonymization_preview(staged)["records"]
    index = HybridIndex(MemoryVectorStore(), BM25Index(tmp_path / "bm25"), HashEmbedder())
    tagger = make_tagger(lambda text, lang=None: [], lambda text: [])
    seen = []

    def ingest(path, **kw):
        return ingest_path(path, index=index, tag=tagger, **kw)

    report = author.import_deals(staged, lambda done, n: seen.append((done, n)), total, ingest=ingest)
    assert (report.new, len(report.bad_rows)) == (2, 1) and report.bad_rows[0].startswith("deals.jsonl:3:")
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert not staged.parent.exists()
    md = author.report_markdown(report, "zh")
    assert "新增: **2**" in md and "deals.jsonl:3:" in md
    stored = " ".join(r.text for r in index.search("expensive", k=10))
    assert "John Smith" not in stored
