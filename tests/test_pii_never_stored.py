"""Planted PII of every kind, both languages, goes through the real ingest (real anonymizer, real Chroma on
disk, BM25 files): afterwards none of it is in the database, the Chroma store or the BM25 index."""

from __future__ import annotations

import json
from importlib import resources

import chromadb
import pytest
from sqlmodel import select

from knowledge.db import session
from knowledge.index import BM25Index, HashEmbedder, HybridIndex
from knowledge.index.vector import get_vector_store
from knowledge.ingest import ingest_path
from knowledge.tables import DealRow

pytestmark = pytest.mark.slow
KINDS_THAT_MUST_GO = {"person", "company", "phone", "email", "id_card", "bank_card", "address", "wechat", "url",
                      "plate"}


def planted_lines() -> list[dict]:
    text = (resources.files("evals.pii") / "data" / "heldout.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_planted_pii_reaches_neither_database_nor_index(db, tmp_path):
    lines = planted_lines()
    deals = []
    for i in range(0, len(lines), 4):
        chunk = lines[i:i + 4]
        turns = []
        for item in chunk:
            turns += [{"speaker": "customer", "text": item["text"]}, {"speaker": "rep", "text": "好的，明白了。"}]
        deals.append({"deal_id": f"pii-{i}", "lang": chunk[0]["lang"], "industry": "saas", "turns": turns})
    source = tmp_path / "planted.jsonl"
    source.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in deals) + "\n", encoding="utf-8")

    chroma_dir = tmp_path / "chroma"
    store = get_vector_store("chroma", collection="pii-check", path=chroma_dir)
    index = HybridIndex(store, BM25Index(tmp_path / "bm25"), HashEmbedder())
    report = ingest_path(source, fmt="jsonl", index=index, progress=False)
    index.flush()
    assert report.new == len(deals) and not report.bad_rows

    secrets = {s["text"] for item in lines for s in item["spans"] if s["kind"] in KINDS_THAT_MUST_GO}
    assert len(secrets) > 100
    with session() as s:
        stored = "\n".join(row.record_json for row in s.exec(select(DealRow)))
    client = chromadb.PersistentClient(path=str(chroma_dir))
    stored_in_chroma = [client.get_collection(c.name).get(include=["metadatas", "documents"])
                        for c in client.list_collections() if c.name.startswith("pii-check")]
    chroma_text = "\n".join(json.dumps(got, ensure_ascii=False, default=str) for got in stored_in_chroma)
    chroma_text += "\n".join(p.read_bytes().decode("utf-8", errors="ignore") for p in chroma_dir.rglob("*") if p.is_file())
    bm25_text = "\n".join(p.read_text(encoding="utf-8", errors="ignore") for p in (tmp_path / "bm25").rglob("*")
                          if p.is_file())
    assert sum(len(got["ids"]) for got in stored_in_chroma) == sum(len(d["turns"]) for d in deals)
    leaks = {place: sorted(x for x in secrets if x in text)
             for place, text in (("database", stored), ("chroma", chroma_text), ("bm25", bm25_text))}
    assert leaks == {"database": [], "chroma": [], "bm25": []}
