"""`coach ingest`: counts, bad rows listed with file:line, JSON output, exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from knowledge.index import BM25Index, HashEmbedder, HybridIndex, MemoryVectorStore


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """The CLI with a model-free index and a stand-in anonymizer injected at the call site."""
    import knowledge.index
    import knowledge.ingest
    from ui.cli.app import _load_commands, app

    index = HybridIndex(MemoryVectorStore(), BM25Index(tmp_path / "bm25"), HashEmbedder())
    monkeypatch.setattr(knowledge.index, "get_index", lambda: index)
    monkeypatch.setattr(knowledge.ingest, "default_anonymizer",
                        lambda: lambda r: r.model_copy(update={"turns": [
                            t.model_copy(update={"text": t.text.replace("王芳", "[客户A]")}) for t in r.turns]}))
    monkeypatch.setattr(knowledge.ingest, "default_tagger", lambda: None)  # the detector model is not needed here
    _load_commands()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def write_csv(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(
        "conversation_id,timestamp,message,author\n"
        "k1,2026-01-15 10:02:00,王芳您好，我是顾问小陈,销售\n"
        "k1,2026-01-15 10:03:00,我们得先问问老板,客户\n"
        "k1,2026-01-15 10:04:00,,客户\n"
        "k2,2026-01-15 11:00:00,Hi it's Sam from Acme,Agent\n"
        "k2,2026-01-15 11:00:30,Send me an email and I'll think about it,Customer\n",
        encoding="utf-8",
    )
    return path


def test_ingest_text_report_and_rerun(cli, tmp_path):
    path = write_csv(tmp_path)
    result = cli("ingest", str(path))
    assert result.exit_code == 3, result.output  # ingested, but a row was skipped
    assert "read 2, new 2" in result.output and "bad rows 1" in result.output
    assert "skipped calls.csv:4: column 'message' is empty" in result.output
    again = cli("ingest", str(path))
    assert again.exit_code == 3 and "read 2, new 0" in again.output and "duplicates skipped 2" in again.output


def test_ingest_json_and_format_override(cli, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("deal,role,text\nA,客户,预算今年已经用完了\nA,销售,理解\n", encoding="utf-8")
    result = cli("ingest", str(path), "--format", "csv", "--map", "conversation_id=deal,author=role,message=text",
                 "--industry", "saas", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["new"], report["turns"], report["formats"], report["bad_rows"]) == (1, 2, ["csv"], [])


def test_ingest_missing_or_unreadable_exits_1(cli, tmp_path):
    result = cli("ingest", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 1 and "no such file" in str(result.exception)
    bad = tmp_path / "deals.jsonl"
    bad.write_text("{broken\n", encoding="utf-8")
    result = cli("ingest", str(bad), "--json")
    assert result.exit_code == 1 and json.loads(result.output)["bad_rows"] == [
        "deals.jsonl:1: not valid JSON (Expecting property name enclosed in double quotes at column 2)"]
    unknown = tmp_path / "notes.md"
    unknown.write_text("hello", encoding="utf-8")
    assert cli("ingest", str(unknown)).exit_code == 1


@pytest.mark.slow
def test_ingest_end_to_end_through_main(tmp_path, capsys):
    """The real anonymizer, embedder and Chroma, through the entry point a user runs."""
    pytest.importorskip("knowledge.anonymize")
    from ui.cli import main

    path = write_csv(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(["ingest", str(path), "--json"])
    assert done.value.code == 3  # ingested, one row skipped
    report = json.loads(capsys.readouterr().out)
    assert report["new"] == 2
    from knowledge.index import get_index

    texts = [h.text for h in get_index().search("老板", k=10)]
    assert texts and not any("王芳" in t for t in texts)
