"""BM25Index kept column-wise: same contract, same log format, same scores as plain BM25 and as bm25s."""

from __future__ import annotations

import json
import math

import bm25s
import numpy as np
import pytest

from knowledge.index import BM25Index, TurnDoc, tokenize


def doc(doc_id: str, text: str, **meta) -> TurnDoc:
    deal_id, _, idx = doc_id.partition("#")
    base = {"deal_id": deal_id, "turn_idx": int(idx or 0), "speaker": "customer", "lang": "en", "industry": "saas",
            "segment": "smb", "outcome": "won", "objection": "none", "act": "none", "signals": "", "next_rep": ""}
    return TurnDoc(doc_id=doc_id, deal_id=deal_id, turn_idx=int(idx or 0), text=text, metadata=base | meta)


CORPUS = [
    doc("en1#0", "Your price is way too high for a team our size", objection="price", next_rep="Annual plan is cheaper"),
    doc("en1#1", "Annual plan is cheaper", speaker="rep"),
    doc("en2#0", "We already use a competitor and renewal is cheap", objection="competitor", outcome="lost"),
    doc("en2#1", "The price of switching is the training time", objection="price", outcome="lost"),
    doc("zh1#0", "你们的报价太贵了，比别家高一截", lang="zh", objection="price", next_rep="我们可以分三期付款"),
    doc("zh1#1", "我们可以分三期付款", lang="zh", speaker="rep"),
    doc("zh2#0", "这个我做不了主，得老板拍板", lang="zh", objection="authority", outcome="lost"),
    doc("zh2#1", "价格还行，就是老板觉得预算不够", lang="zh", objection="price", industry="fmcg"),
    doc("mix#0", "嗯", lang="zh"),  # no tokens at all: still indexed, never found
]


def hits(index: BM25Index, query: str, k: int = 50, filters: dict | None = None) -> dict[str, float]:
    return dict(index.search([tokenize(query)], k, filters)[0])


def reference_bm25(docs: list[TurnDoc], query: str, filters: dict | None = None) -> dict[str, float]:
    """Plain Lucene BM25 (k1=1.5, b=0.75), the variant bm25s uses; empty docs count as one token long."""
    toks = {d.doc_id: tokenize(d.text) or [""] for d in docs}
    n = len(docs)
    avg = sum(len(t) for t in toks.values()) / n
    out = {}
    for d in docs:
        if any(d.metadata.get(f) not in (v["$in"] if isinstance(v, dict) else [v]) for f, v in (filters or {}).items()):
            continue
        dl, score = len(toks[d.doc_id]), 0.0
        for q in tokenize(query):
            df = sum(q in t for t in toks.values())
            tf = toks[d.doc_id].count(q)
            if df and tf:
                score += math.log(1 + (n - df + 0.5) / (df + 0.5)) * tf / (1.5 * (0.25 + 0.75 * dl / avg) + tf)
        if score > 0:
            out[d.doc_id] = score
    return out


QUERIES = ["price too high", "price", "太贵了 报价", "老板 拍板 预算", "competitor renewal", "量子力学"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("filters", [None, {"objection": "price"}, {"lang": "zh", "outcome": {"$in": ["won", "lost"]}}])
def test_scores_equal_a_plain_bm25_reference(query, filters):
    index = BM25Index(None)
    index.add(CORPUS)
    got = hits(index, query, filters=filters)
    want = reference_bm25(CORPUS, query, filters)
    assert got.keys() == want.keys()
    for doc_id, score in want.items():
        assert got[doc_id] == pytest.approx(score, rel=1e-5)


def test_matrix_equals_the_one_bm25s_builds():
    index = BM25Index(None)
    index.add(CORPUS)
    model = bm25s.BM25()
    model.index([tokenize(d.text) or [""] for d in CORPUS], show_progress=False)
    for query in QUERIES:
        known = [t for t in tokenize(query) if t in model.vocab_dict]
        if known:
            want = model.get_scores(known)
            assert hits(index, query) == {CORPUS[j].doc_id: float(want[j]) for j in np.flatnonzero(want > 0)}
            assert np.array_equal(index._model.get_scores(known), want)  # bit for bit, zeros included


def test_english_and_chinese_round_trip_through_the_folder(tmp_path):
    index = BM25Index(tmp_path / "bm25")
    assert not index.exists and len(index) == 0
    index.add(CORPUS)
    assert index.exists and len(index) == len(CORPUS)
    assert next(iter(hits(index, "price too high"))) == "en1#0"
    assert next(iter(hits(index, "报价太贵"))) == "zh1#0"
    assert index.get("zh1#0") == {"id": "zh1#0", "text": "你们的报价太贵了，比别家高一截",
                                  "meta": CORPUS[4].metadata}
    index.get("zh1#0")["meta"]["objection"] = "changed"  # a fresh dict: the index is not touched
    assert index.get("zh1#0")["meta"]["objection"] == "price"
    assert index.get("nope#0") is None
    index.save()

    reloaded = BM25Index(tmp_path / "bm25")
    assert reloaded._model is not None  # the saved matrix was loaded, not rebuilt
    assert len(reloaded) == len(CORPUS)
    for d in CORPUS:
        assert reloaded.get(d.doc_id) == {"id": d.doc_id, "text": d.text, "meta": d.metadata}
    for query in QUERIES:
        assert hits(reloaded, query, filters={"speaker": "customer"}) == hits(index, query, filters={"speaker": "customer"})


def test_filters_equality_in_ints_and_unknown_fields():
    index = BM25Index(None)
    index.add(CORPUS)
    assert set(hits(index, "price", filters={"objection": "price", "outcome": "lost"})) == {"en2#1"}
    assert set(hits(index, "price 价格", filters={"objection": {"$in": ["price", "competitor"]}})) == \
        {"en1#0", "en2#1", "zh2#1"}
    assert set(hits(index, "price", filters={"turn_idx": 1})) == {"en2#1"}
    assert hits(index, "price", filters={"turn_idx": "1"}) == {}  # "1" is not 1, as in the metadata
    assert hits(index, "老板", filters={"industry": "fmcg"}) == {"zh2#1": pytest.approx(hits(index, "老板")["zh2#1"])}
    assert hits(index, "price", filters={"objection": "no-such-value"}) == {}
    assert set(hits(index, "price", filters={"next_rep": "Annual plan is cheaper"})) == {"en1#0"}
    with pytest.raises(ValueError, match="not indexed"):
        index.search([["price"]], 5, {"colour": "red"})


def test_readd_replaces_and_moves_to_the_end_delete_removes(tmp_path):
    index = BM25Index(tmp_path / "bm25")
    index.add(CORPUS[:4])
    assert next(iter(hits(index, "competitor"))) == "en2#0"  # matrix built once, then changed below
    index.add([doc("en1#0", "The competitor gave us a discount", objection="competitor")])
    assert len(index) == 4
    assert index.get("en1#0")["text"] == "The competitor gave us a discount"
    assert set(hits(index, "competitor")) == {"en1#0", "en2#0"}
    assert "en1#0" not in hits(index, "too high")
    index.delete(["en2#0", "en2#0", "missing#9"])
    assert len(index) == 3 and index.get("en2#0") is None
    assert set(hits(index, "competitor")) == {"en1#0"}
    index.save()
    order = ["en1#1", "en2#1", "en1#0"]
    assert json.loads((tmp_path / "bm25" / "model" / "ids.json").read_text()) == order

    reloaded = BM25Index(tmp_path / "bm25")  # log replay gives the same rows in the same order
    assert reloaded._model is not None and reloaded._ids == order
    assert reloaded.get("en1#0")["meta"]["objection"] == "competitor" and reloaded.get("en2#0") is None
    reloaded.add([doc("en2#0", "competitor is back")])
    assert set(hits(reloaded, "competitor")) == {"en1#0", "en2#0"}
    reloaded.delete([d for d in order] + ["en2#0"])
    assert len(reloaded) == 0 and reloaded.search([["competitor"]], 5) == [[]]


def test_half_written_last_line_is_skipped(tmp_path):
    index = BM25Index(tmp_path / "bm25")
    index.add(CORPUS[:6])
    line = json.dumps({"id": "zh9#0", "text": "报价太贵了", "meta": CORPUS[4].metadata, "tokens": ["报价", "太贵"]},
                      ensure_ascii=False).encode()
    with open(tmp_path / "bm25" / "docs.jsonl", "ab") as fh:
        fh.write(line[: line.index("报".encode()) + 2])  # cut inside a Chinese character
    reloaded = BM25Index(tmp_path / "bm25")
    assert len(reloaded) == 6 and reloaded.get("zh9#0") is None
    assert next(iter(hits(reloaded, "报价太贵"))) == "zh1#0"


def test_folder_written_by_the_old_format_loads(tmp_path):
    folder = tmp_path / "bm25"
    folder.mkdir()
    meta = {"deal_id": "old", "turn_idx": 0, "speaker": "customer", "lang": "zh", "industry": "saas", "segment": "ka",
            "outcome": "won", "objection": "price", "act": "none", "signals": "", "next_rep": "好的"}
    lines = [
        {"id": "old#0", "text": "预算不够", "meta": meta, "tokens": ["预算", "不够"]},
        {"id": "old#1", "text": "price is high", "meta": meta | {"turn_idx": 1, "lang": "en"}, "tokens": ["price"]},
        {"id": "old#2", "text": "gone soon", "meta": meta | {"turn_idx": 2}, "tokens": ["gone"]},
        {"id": "old#0", "text": "预算真的不够", "meta": meta | {"outcome": "lost"}, "tokens": ["预算", "真的"]},
        {"id": "old#2", "deleted": True},
    ]
    (folder / "docs.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines),
                                       encoding="utf-8")
    index = BM25Index(folder)
    assert len(index) == 2
    assert index.get("old#0") == {"id": "old#0", "text": "预算真的不够", "meta": meta | {"outcome": "lost"}}
    assert set(hits(index, "预算", filters={"outcome": "lost"})) == {"old#0"}
    assert hits(index, "不够") == {}  # the tokens stored in the log are used, not re-tokenized text
    assert set(hits(index, "price", filters={"lang": "en"})) == {"old#1"}

    # A matrix saved by the old code (bm25s over the live docs in log order) is loaded as is.
    model = bm25s.BM25()
    model.index([["price"], ["预算", "真的"]], show_progress=False)
    model.save(str(folder / "model"), show_progress=False)
    (folder / "model" / "ids.json").write_text(json.dumps(["old#1", "old#0"]))
    loaded = BM25Index(folder)
    assert loaded._model is not None and loaded._ids == ["old#1", "old#0"]
    assert hits(loaded, "预算") == hits(index, "预算") and hits(loaded, "price") == hits(index, "price")

    (folder / "model" / "ids.json").write_text(json.dumps(["old#0", "old#1"]))  # stale: rebuilt instead
    stale = BM25Index(folder)
    assert stale._model is None
    assert hits(stale, "预算") == hits(index, "预算")


def test_documents_without_some_metadata_keys():
    index = BM25Index(None)
    index.add([TurnDoc(doc_id="a#0", deal_id="a", turn_idx=0, text="price please", metadata={"speaker": "rep"}),
               TurnDoc(doc_id="b#0", deal_id="b", turn_idx=0, text="price now", metadata={"objection": "price"})])
    assert index.get("a#0")["meta"] == {"speaker": "rep"}
    assert index.get("b#0")["meta"] == {"objection": "price"}
    assert set(hits(index, "price", filters={"objection": "price"})) == {"b#0"}
    assert set(hits(index, "price", filters={"speaker": {"$in": ["rep"]}})) == {"a#0"}


def test_passing_answers_filters_for_ids_from_the_cached_masks(tmp_path):
    """The vector store filters over-fetched neighbours with this: unknown ids never pass."""
    from knowledge.index import BM25Index, turn_docs
    from knowledge.records import DealRecord

    index = BM25Index(tmp_path / "bm25")
    for deal_id, lang, outcome, text in [("p-zh", "zh", "won", "太贵了"), ("p-en", "en", "lost", "Too pricey")]:
        index.add(turn_docs(DealRecord(deal_id=deal_id, lang=lang, outcome=outcome,
                                       turns=[{"speaker": "customer", "text": text}])))
    ids = ["p-zh#0", "p-en#0", "elsewhere#0"]
    assert index.passing(ids, {"lang": "zh"}).tolist() == [True, False, False]
    assert index.passing(ids, {"outcome": {"$in": ["won", "lost"]}, "speaker": "customer"}).tolist() == [True, True, False]
    assert index.passing(ids, None).tolist() == [True, True, False]
