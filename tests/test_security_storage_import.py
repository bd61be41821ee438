"""Issue 16 items 7 and 10 (importer side): a file cut short is a bad row, not a complete deal; the exit status
says rows were skipped; an empty file says why nothing was read; a CSV without a header never echoes its rows."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from knowledge.index import BM25Index, HashEmbedder, HybridIndex, MemoryVectorStore

HEADER = "conversation_id,timestamp,message,author\n"
ZH_ROWS = ("c1,2026-01-15 10:02:00,王芳您好，我是顾问小陈,销售\n"
           "c1,2026-01-15 10:03:00,预算我们还得再看看,客户\n"
           "c2,2026-01-15 11:00:00,您好，这里是云帆科技,销售\n"
           "c2,2026-01-15 11:00:30,价格太贵了，我们要和老板")  # cut mid-row: no author, no newline
EN_ROWS = ("c1,2026-01-15 10:02:00,Hi it's Sam from Acme,Agent\n"
           "c1,2026-01-15 10:03:00,We need to check the budget,Customer\n"
           "c2,2026-01-15 11:00:00,Hello this is Dana,Agent\n"
           'c2,2026-01-15 11:00:30,"The price is too high and we would need to')  # cut inside a quoted cell


@pytest.fixture
def cli(tmp_path, monkeypatch):
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


@pytest.mark.parametrize("rows", [ZH_ROWS, EN_ROWS], ids=["zh", "en"])
def test_a_truncated_csv_skips_the_cut_conversation(rows, tmp_path):
    from knowledge.importers import ImportIssue, iter_file

    path = tmp_path / "calls.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    items = list(iter_file(path))
    deals = [item[1] for item in items if not isinstance(item, ImportIssue)]
    issues = [str(item) for item in items if isinstance(item, ImportIssue)]
    assert [d.deal_id for d in deals] == ["c1"]  # c2 lost its last turn: not stored as a complete deal
    assert "calls.csv:5: expected 4 columns, found 3" in issues
    assert any(i.startswith("calls.csv:4: conversation cut short (line 5") for i in issues)
    assert not any("c2" in i or "太贵" in i or "price" in i for i in issues)  # names the line, never the content


@pytest.mark.parametrize("rows", [ZH_ROWS, EN_ROWS], ids=["zh", "en"])
def test_ingest_exit_status_says_rows_were_skipped(cli, rows, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    result = cli("ingest", str(path))
    assert result.exit_code == 3, result.output
    assert "read 1, new 1" in result.output and "bad rows 2" in result.output
    assert "row(s) skipped" in result.output


def test_ingest_of_a_clean_file_still_exits_0(cli, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + ZH_ROWS.rsplit("\n", 1)[0] + "\n", encoding="utf-8")
    assert cli("ingest", str(path)).exit_code == 0


@pytest.mark.parametrize("name, text", [("empty.jsonl", ""), ("blank.jsonl", "\n\n"), ("空.csv", HEADER)])
def test_an_empty_file_exits_1_with_a_reason(cli, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = cli("ingest", str(path))
    assert result.exit_code == 1
    assert f"{name}: no deals found" in result.output and "one deal per line" in result.output


@pytest.mark.parametrize("first_row", [
    "k1,2026-01-15 10:02:00,王芳您好 我的手机13812345678,客户",
    "k1,2026-01-15 10:02:00,Hi this is John Smith on 415-555-0134,Customer",
], ids=["zh", "en"])
def test_a_csv_without_a_header_row_never_prints_its_first_row(cli, tmp_path, first_row):
    path = tmp_path / "noheader.csv"
    path.write_text(first_row + "\n" + first_row + "\n", encoding="utf-8")
    result = cli("ingest", str(path), "--format", "messages-csv")
    assert result.exit_code == 1
    message = str(result.exception) + result.output
    assert "missing column(s) message, author" in message and "header row" in message
    for secret in ("王芳", "13812345678", "John", "415-555-0134", "k1"):
        assert secret not in message


def test_a_real_header_is_still_named_in_the_error(cli, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,备注,王芳\nA,客户,预算今年已经用完了\n", encoding="utf-8")
    result = cli("ingest", str(path), "--format", "messages-csv")
    assert result.exit_code == 1 and "found: id and 2 other column(s)" in str(result.exception)
    assert "王芳" not in str(result.exception)
