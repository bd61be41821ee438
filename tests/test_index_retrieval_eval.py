"""Retrieval eval: the labelled queries load and validate; the metrics are computed correctly; the CLI prints them."""

from __future__ import annotations

import json

import pytest

from evals.retrieval import load_queries, run_retrieval_eval
from evals.retrieval.labels import LabelledQuery
from knowledge.index import BM25Index, HashEmbedder, HybridIndex, MemoryVectorStore
from knowledge.records import DealRecord


def test_shipped_queries_cover_both_languages_and_every_objection():
    queries = load_queries()
    assert sum(q.lang == "zh" for q in queries) >= 40 and sum(q.lang == "en" for q in queries) >= 25
    from knowledge.taxonomy import OBJECTION_TYPES

    for lang in ("zh", "en"):
        covered = {o for q in queries if q.lang == lang for o in
                   (q.relevant.get("objection") if isinstance(q.relevant.get("objection"), list)
                    else [q.relevant.get("objection")])}
        assert set(OBJECTION_TYPES) <= covered, lang


def test_bad_query_file_names_query_and_field():
    with pytest.raises(ValueError, match=r"query 2 \(b\): field 'relevant'.*objection"):
        load_queries("queries:\n  - {id: a, lang: zh, text: 贵, relevant: {objection: price}}\n"
                     "  - {id: b, lang: en, text: x, relevant: {objection: pricey}}\n")
    with pytest.raises(ValueError, match="duplicate"):
        load_queries("queries:\n  - {id: a, lang: zh, text: 贵, relevant: {objection: price}}\n"
                     "  - {id: a, lang: zh, text: 贵, relevant: {objection: price}}\n")


def test_relevance_rules():
    q = LabelledQuery(id="q", lang="zh", text="x", relevant={"speaker": "customer", "objection": ["price", "budget"]})
    assert q.is_relevant({"speaker": "customer", "objection": "budget"})
    assert not q.is_relevant({"speaker": "rep", "objection": "budget"})
    s = LabelledQuery(id="s", lang="en", text="x", relevant={"signal": "budget_confirmed"})
    assert s.is_relevant({"signals": "timeline_set,budget_confirmed"}) and not s.is_relevant({"signals": ""})


def tiny_corpus() -> list[DealRecord]:
    def deal(deal_id, lang, text, objection):
        return DealRecord(deal_id=deal_id, lang=lang, turns=[
            {"speaker": "rep", "text": "您好" if lang == "zh" else "Hello"},
            {"speaker": "customer", "text": text, "objections": [objection]}])

    return [deal("a", "zh", "价格太贵了", "price"), deal("b", "zh", "老板还没拍板", "authority"),
            deal("c", "en", "the price is too high", "price"), deal("d", "en", "my boss decides", "authority")]


def tiny_queries() -> list[LabelledQuery]:
    return [
        LabelledQuery(id="z1", lang="zh", text="价格太贵", relevant={"objection": "price"}),
        LabelledQuery(id="z2", lang="zh", text="量子计算机", relevant={"objection": "authority"}),
        LabelledQuery(id="e1", lang="en", text="boss decides", relevant={"objection": "authority"}),
        LabelledQuery(id="e2", lang="en", text="too slow", relevant={"objection": "trust"}),  # nothing in corpus
    ]


@pytest.fixture
def tiny_index(tmp_path):
    index = HybridIndex(MemoryVectorStore(), BM25Index(tmp_path / "bm25"), HashEmbedder())
    index.add_records(tiny_corpus())
    return index


def test_run_retrieval_eval_scores_per_language_and_mode(tiny_index):
    report = run_retrieval_eval(deals=tiny_corpus(), index=tiny_index, queries=tiny_queries(), progress=False)
    assert report["unanswerable"] == ["e2"] and report["queries"] == {"zh": 2, "en": 1}
    # BM25 finds the exact words first and nothing for a query with no known words
    assert report["zh"]["bm25"] == {"n": 2, "recall@5": 0.5, "mrr": 0.5, "precision@5": 0.1}
    assert report["en"]["bm25"]["mrr"] == 1.0 and report["en"]["hybrid"]["recall@5"] == 1.0
    assert set(report["zh"]) == {"hybrid", "dense", "bm25"} and set(report["misses_hybrid"]) <= {"z1", "z2", "e1"}


def test_cli_eval_retrieval(tiny_index, monkeypatch):
    from typer.testing import CliRunner

    import evals.retrieval
    from ui.cli.app import _load_commands, app

    monkeypatch.setattr(evals.retrieval, "run_retrieval_eval", lambda progress=True: run_retrieval_eval(
        deals=tiny_corpus(), index=tiny_index, queries=tiny_queries(), progress=progress))
    _load_commands()
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "retrieval", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["en"]["bm25"]["mrr"] == 1.0
    text = runner.invoke(app, ["eval", "retrieval"]).output
    assert "[zh bm25  ] recall@5 0.500  MRR 0.500" in text and "[en hybrid]" in text
