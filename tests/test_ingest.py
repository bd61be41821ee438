"""Ingest pipeline: anonymize before store/index, tag, skip duplicates, resume after an interruption."""

from __future__ import annotations

import json
import sys

import pytest
from sqlmodel import select

from knowledge.db import session
from knowledge.index import BM25Index, HashEmbedder, HybridIndex, MemoryVectorStore
from knowledge.ingest import ingest_path, make_tagger
from knowledge.records import DealRecord
from knowledge.settings import SetupError
from knowledge.tables import DealRow, IngestRun


def make_deals(n: int) -> list[dict]:
    deals = []
    for i in range(n):
        zh = i % 2 == 0
        turns = [
            {"speaker": "rep", "text": f"张伟您好，我是小李，第{i}次回访" if zh else f"Hi John Smith, follow-up number {i}"},
            {"speaker": "customer", "text": "你们价格太贵了" if zh else "This is too expensive for us"},
            {"speaker": "rep", "text": "我们可以按季度付款" if zh else "We can spread the payments quarterly"},
        ]
        deals.append({"deal_id": f"d{i}", "lang": "zh" if zh else "en", "industry": "saas",
                      "outcome": "won" if i % 3 == 0 else "lost", "turns": turns})
    return deals


def write_jsonl(path, deals, extra_lines=()):
    lines = [json.dumps(d, ensure_ascii=False) for d in deals] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def mask_names(record: DealRecord) -> DealRecord:
    """A stand-in anonymizer: masks the two planted names so tests can look for leaks."""
    turns = [t.model_copy(update={"text": t.text.replace("张伟", "[客户A]").replace("John Smith", "[CUSTOMER_A]")})
             for t in record.turns]
    return record.model_copy(update={"turns": turns})


def fake_tagger():
    def objection(text, lang=None):
        return ["price"] if ("贵" in text or "expensive" in text) else []

    def signals(text):
        return [("timeline_set", 0.9)] if "下周" in text else []

    return make_tagger(objection, signals)


@pytest.fixture
def index(tmp_path):
    return HybridIndex(MemoryVectorStore(), BM25Index(tmp_path / "bm25"), HashEmbedder())


def run(path, index, **kw):
    kw.setdefault("anonymize", mask_names)
    kw.setdefault("tag", fake_tagger())
    return ingest_path(path, index=index, progress=False, **kw)


def stored_records() -> list[DealRecord]:
    with session() as s:
        return [DealRecord.model_validate_json(r.record_json) for r in s.exec(select(DealRow)).all()]


def test_ingest_counts_then_reingest_adds_nothing(tmp_path, index):
    path = write_jsonl(tmp_path / "deals.jsonl", make_deals(6), ["{broken"])
    first = run(path, index)
    assert (first.read, first.new, first.skipped_duplicates, first.turns) == (6, 6, 0, 18)
    assert first.bad_rows == ["deals.jsonl:7: not valid JSON (Expecting property name enclosed in double quotes at column 2)"]
    assert index.store.count() == 18 and len(index.bm25) == 18
    again = run(path, index)
    assert (again.read, again.new, again.skipped_duplicates, again.turns) == (6, 0, 6, 0)
    assert len(stored_records()) == 6 and index.store.count() == 18


def test_nothing_unanonymized_is_stored_or_indexed(tmp_path, index):
    run(write_jsonl(tmp_path / "deals.jsonl", make_deals(4)), index)
    with session() as s:
        blobs = [r.record_json for r in s.exec(select(DealRow)).all()]
    assert blobs and not any("张伟" in b or "John Smith" in b for b in blobs)
    assert any("[客户A]" in b for b in blobs)
    indexed = (tmp_path / "bm25" / "docs.jsonl").read_text(encoding="utf-8")
    assert "张伟" not in indexed and "John Smith" not in indexed
    hits = index.search("张伟", k=10, mode="bm25") + index.search("John Smith", k=10)
    assert not any("张伟" in h.text or "John Smith" in h.text for h in hits)


def test_customer_turns_are_tagged_unless_labelled(tmp_path, index):
    deals = make_deals(2)
    deals[1]["turns"][1]["objections"] = ["budget"]  # labelled at the source: kept as is
    deals[0]["turns"][1]["text"] = "你们价格太贵了，下周开会再说"
    run(write_jsonl(tmp_path / "deals.jsonl", deals), index)
    by_id = {r.deal_id: r for r in stored_records()}
    assert by_id["d0"].turns[1].objections == ["price"] and by_id["d0"].turns[1].signals == ["timeline_set"]
    assert by_id["d0"].turns[0].objections == []  # rep turns are not tagged
    assert by_id["d1"].turns[1].objections == ["budget"]
    hits = index.search("价格太贵", k=3, filters={"deal_id": "d0", "speaker": "customer"})
    assert hits[0].metadata["objection"] == "price" and hits[0].metadata["next_rep"] == "我们可以按季度付款"


def test_resume_after_interruption(tmp_path, index):
    path = write_jsonl(tmp_path / "deals.jsonl", make_deals(7))
    calls = {"n": 0}

    def flaky(record):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("power cut")
        return mask_names(record)

    with pytest.raises(RuntimeError, match="power cut"):
        run(path, index, anonymize=flaky, batch_size=2)
    assert len(stored_records()) == 4  # two whole batches went in before the failure
    with session() as s:
        (interrupted,) = s.exec(select(IngestRun)).all()
    assert (interrupted.status, interrupted.records_done) == ("running", 4)
    calls["n"] = 0
    report = run(path, index, anonymize=flaky, batch_size=2)
    assert (report.read, report.new, report.skipped_duplicates) == (7, 3, 4)
    assert calls["n"] == 3  # stored deals were skipped without anonymizing them again
    assert len(stored_records()) == 7 and index.store.count() == 21
    with session() as s:
        runs = s.exec(select(IngestRun)).all()
    assert [(r.status, r.records_done) for r in runs] == [("done", 7)]


def test_changed_record_is_updated_and_reindexed(tmp_path, index):
    deals = make_deals(2)
    path = write_jsonl(tmp_path / "deals.jsonl", deals)
    run(path, index)
    deals[0]["turns"] = deals[0]["turns"][:2]
    deals[0]["outcome"] = "lost"
    report = run(write_jsonl(path, deals), index)
    assert (report.new, report.updated, report.skipped_duplicates) == (0, 1, 1)
    assert index.store.count() == 5 and len(index.bm25) == 5
    assert {h.metadata["outcome"] for h in index.search("价格", k=5, filters={"deal_id": "d0"})} == {"lost"}


def test_missing_anonymizer_is_a_setup_error_not_a_pass_through(tmp_path, index, monkeypatch):
    monkeypatch.setitem(sys.modules, "knowledge.anonymize", None)  # makes the import fail
    path = write_jsonl(tmp_path / "deals.jsonl", make_deals(1))
    with pytest.raises(SetupError, match="anonymiz"):
        ingest_path(path, index=index, tag=fake_tagger(), progress=False)
    with session() as s:
        assert not s.exec(select(DealRow)).all() if _has_deals_table() else True


def _has_deals_table() -> bool:
    from sqlalchemy import inspect

    from knowledge.db import get_engine

    return inspect(get_engine()).has_table("deals")


def test_folder_of_chat_and_csv(tmp_path, index):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "wechat.txt").write_text("小李 2026-01-15 10:02\n王总好\n王总 2026-01-15 10:03\n太贵了\n", encoding="utf-8")
    (folder / "messages.csv").write_text("conversation_id,message,author\nq1,Hello,Agent\nq1,Not now,Customer\n",
                                         encoding="utf-8")
    (folder / "conversations.csv").write_text("conversation_id,outcome\nq1,customer not interested\n", encoding="utf-8")
    report = run(folder, index)
    assert sorted(report.formats) == ["chat", "messages-csv"] and report.new == 2
    by_id = {r.deal_id: r for r in stored_records()}
    (chat,) = [r for r in by_id.values() if r.deal_id.startswith("chat-")]
    assert by_id["q1"].outcome == "lost" and chat.turns[1].objections == ["price"]
    with session() as s:
        sources = {r.source for r in s.exec(select(DealRow)).all()} | {r.source for r in s.exec(select(IngestRun)).all()}
    assert not any("wechat" in src or "exports" in src for src in sources)  # file names may name people


def test_agentune_subset_ingests(tmp_path, index):
    from conftest import shared_dataset

    folder = shared_dataset("agentune-insurance-calls")
    lines = (folder / "messages.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    subset = tmp_path / "agentune"
    subset.mkdir()
    (subset / "messages.csv").write_text("".join(lines[:600]), encoding="utf-8")
    (subset / "conversations.csv").write_text((folder / "conversations.csv").read_text(encoding="utf-8"))
    report = run(subset / "messages.csv", index)
    assert not report.bad_rows and report.new == report.read >= 3 and report.turns == 599
    assert {r.industry for r in stored_records()} == {"insurance"}
    assert run(subset / "messages.csv", index).new == 0


@pytest.mark.slow
def test_agentune_full_ingest_into_chroma(tmp_path):
    """The whole dataset through the real Chroma store (hash embeddings keep it model-free)."""
    from conftest import shared_dataset

    from knowledge.index import open_index

    folder = shared_dataset("agentune-insurance-calls")
    chroma_index = open_index(tmp_path / "idx", embedder=HashEmbedder())
    report = run(folder / "messages.csv", chroma_index, batch_size=32)
    assert (report.read, report.new, report.turns, report.bad_rows) == (101, 101, 16823, [])
    assert chroma_index.store.count() == 16823
    hits = chroma_index.search("I need to talk to my wife first", k=5, filters={"speaker": "customer"})
    assert len(hits) == 5 and all(h.metadata["industry"] == "insurance" for h in hits)


def test_tagger_batches_a_deal_through_detect_many():
    from types import SimpleNamespace

    calls = []

    def many(texts, lang=None):
        calls.append((list(texts), lang))
        return [SimpleNamespace(objections=["budget"] if "预算" in t else []) for t in texts]

    tag = make_tagger(lambda text: None, lambda text: [], many)
    record = DealRecord(deal_id="m", lang="zh", turns=[
        {"speaker": "rep", "text": "您好"}, {"speaker": "customer", "text": "预算不够"},
        {"speaker": "customer", "text": "好的"}])
    tagged = tag(record)
    assert calls == [(["预算不够", "好的"], "zh")]
    assert [t.objections for t in tagged.turns] == [[], ["budget"], []]
