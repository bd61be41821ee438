"""The Chroma store keeps one collection per objection, stores no turn text, and migrates older folders."""

from __future__ import annotations

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings
from test_index import records

from knowledge.index import BM25Index, ChromaStore, HashEmbedder, HybridIndex, turn_docs
from knowledge.index.chroma import LAYOUT


def _client(path):
    return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))


def _counts(path, base: str) -> dict[str, int]:
    client = _client(path)
    return {c.name: client.get_collection(c.name).count() for c in client.list_collections()
            if c.name == base or c.name.startswith(base + ".")}


@pytest.fixture
def index(tmp_path):
    store = ChromaStore(collection="parts-test", path=tmp_path / "chroma")
    idx = HybridIndex(store, BM25Index(tmp_path / "bm25"), HashEmbedder())
    idx.add_records(records())
    return idx


def test_each_objection_gets_its_own_collection_and_no_text_is_stored(index, tmp_path):
    counts = _counts(tmp_path / "chroma", "parts-test")
    # six customer turns, one per objection; the nine rep turns have none
    assert counts == {"parts-test": 9, "parts-test.price": 2, "parts-test.authority": 1, "parts-test.timing": 1,
                      "parts-test.competitor": 1, "parts-test.trust": 1}
    got = _client(tmp_path / "chroma").get_collection("parts-test.price").get(include=["documents", "metadatas"])
    assert got["documents"] == [None, None]
    assert all("next_rep" not in m and m["objection"] == "price" for m in got["metadatas"])
    assert index.store.count() == 15


def test_pinned_objection_searches_its_partition_and_text_comes_from_the_keyword_store(index):
    zh = index.search("报价太贵了", k=5, mode="dense", filters={"objection": "price", "lang": "zh"})
    assert [h.doc_id for h in zh] == ["zh-price#1"]
    assert zh[0].text == "你们的报价太贵了，比别家高一截" and zh[0].metadata["next_rep"].startswith("理解")
    en = index.search("too expensive", k=5, mode="dense", filters={"objection": {"$in": ["price", "competitor"]},
                                                                  "lang": "en"})
    assert {h.doc_id for h in en} == {"en-price#1", "en-comp#0"}
    assert en[0].text and en[0].metadata["next_rep"]


def test_unpinned_query_merges_partitions_nearest_first(index):
    vector = HashEmbedder().embed(["你们的报价太贵了，比别家高一截"], kind="query")
    matches = index.store.query(vector, k=15)[0]
    assert len(matches) == 15 and matches[0].doc_id == "zh-price#1"
    assert [m.distance for m in matches] == sorted(m.distance for m in matches)


def test_retagged_turn_moves_partition_without_a_duplicate(index):
    changed = records()
    for r in changed:
        if r.deal_id == "zh-price":
            r.turns[1].objections = ["timing"]
    index.add_records(changed)
    assert index.store.count() == 15
    price = index.search("报价太贵了", k=5, mode="dense", filters={"objection": "price"})
    assert all(h.doc_id != "zh-price#1" for h in price)
    timing = index.search("报价太贵了", k=5, mode="dense", filters={"objection": "timing"})
    assert "zh-price#1" in {h.doc_id for h in timing}


def test_filter_on_unstored_field_says_where_to_filter(index):
    with pytest.raises(ValueError, match="keyword side"):
        index.store.query(HashEmbedder().embed(["x"]), k=1, filters={"next_rep": "好的"})


def test_folder_from_before_partitions_is_migrated_on_open(tmp_path):
    """An older folder holds every turn, with text, in one collection: opening it moves objection turns out."""
    docs = [d for r in records() for d in turn_docs(r)]
    vectors = HashEmbedder().embed([d.text for d in docs])
    old = _client(tmp_path / "chroma").get_or_create_collection("legacy-turns", embedding_function=None,
                                                                metadata={"hnsw:space": "cosine"})
    old.upsert(ids=[d.doc_id for d in docs], embeddings=vectors, documents=[d.text for d in docs],
               metadatas=[d.metadata for d in docs])
    store = ChromaStore(collection="legacy-turns", path=tmp_path / "chroma")
    counts = _counts(tmp_path / "chroma", "legacy-turns")
    assert counts["legacy-turns"] == 9 and counts["legacy-turns.price"] == 2 and sum(counts.values()) == 15
    assert _client(tmp_path / "chroma").get_collection("legacy-turns").metadata["layout"] == LAYOUT
    moved = store.query(vectors[[1]], k=1, filters={"objection": "price"})[0]
    assert moved[0].doc_id == "zh-price#1" and moved[0].distance == pytest.approx(0.0, abs=1e-5)
    again = ChromaStore(collection="legacy-turns", path=tmp_path / "chroma")  # a second open changes nothing
    assert again.count() == 15 and _counts(tmp_path / "chroma", "legacy-turns") == counts


def test_over_fetch_falls_back_to_chroma_filter_for_rare_values(tmp_path):
    """Many unfiltered neighbours fail a rare filter: the partition's own filtered search still finds the match."""
    store = ChromaStore(collection="rare-test", path=tmp_path / "chroma")
    rng = np.random.default_rng(3)
    n = 600
    vecs = rng.standard_normal((n, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    metas = [{"objection": "price", "lang": "zh" if i == n - 1 else "en", "speaker": "customer"} for i in range(n)]
    store.add([f"d{i}" for i in range(n)], vecs, [""] * n, metas)
    far = -vecs[n - 1]  # the one Chinese turn is the farthest from this query
    found = store.query(far[None, :], k=1, filters={"objection": "price", "lang": "zh"})[0]
    assert [m.doc_id for m in found] == [f"d{n - 1}"]


@pytest.mark.parametrize("lang, text", [("zh", "这个价格我们真的接受不了"), ("en", "We simply cannot accept this price")])
def test_rare_filter_is_answered_from_the_passing_ids(tmp_path, lang, text):
    """With a keyword store attached, a filter few over-fetched neighbours pass is answered by searching
    exactly the turns the keyword masks list, without Chroma's slow where-filter."""
    from knowledge.records import DealRecord

    store = ChromaStore(collection="rare-ids", path=tmp_path / "chroma")
    index = HybridIndex(store, BM25Index(tmp_path / "bm25"), HashEmbedder())
    other = "en" if lang == "zh" else "zh"
    deals = [DealRecord(deal_id=f"bulk-{i}", lang=other, outcome="lost",
                        turns=[{"speaker": "customer", "text": f"filler line number {i} 填充 {i}", "objections": ["price"]}])
             for i in range(700)]
    deals.append(DealRecord(deal_id="the-one", lang=lang, outcome="won",
                            turns=[{"speaker": "customer", "text": text, "objections": ["price"]}]))
    index.add_records(deals)
    store._chroma_query = staticmethod(_refuse_where(store._chroma_query))
    hits = index.search(text, k=1, mode="dense", filters={"objection": "price", "lang": lang, "outcome": "won"})
    assert [h.deal_id for h in hits] == ["the-one"] and hits[0].text == text


def _refuse_where(query):
    def wrapped(col, vectors, k, allowed, with_metadata=True):
        assert not allowed, "Chroma's where-filter was used"
        return query(col, vectors, k, allowed, with_metadata)
    return wrapped
