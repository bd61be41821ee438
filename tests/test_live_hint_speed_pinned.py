"""The live card's won-deal lookup answered from pinned in-memory slices: same lines as the vector store gave,
no vector-store query once warmed, and the slices follow ingests (Chinese and English)."""

from __future__ import annotations

import numpy as np
import pytest

from coach.live import LiveKit
from coach.live.fakes import CueDetector, CueJudge
from knowledge.index import BM25Index, ChromaStore, HashEmbedder, HybridIndex, MemoryVectorStore
from knowledge.playbooks import load_playbooks
from knowledge.records import DealRecord, Turn

ZH_LINES = ["你们的价格太贵了", "这个报价比别家贵太多了", "预算有限，能不能便宜点", "价格上还有没有空间",
            "太贵了，我们承受不起", "别家报价低三成", "你们的年费翻了一倍", "这个价格老板不会批的"]
EN_LINES = ["Honestly it is too expensive for us", "Your price is way above the other quote",
            "We cannot afford the annual fee", "Is there any room on the price", "That is double what we pay now",
            "The budget will not stretch that far", "Your renewal cost is too high", "My boss will not sign at that price"]
ZH_REPLIES = ["理解，我们算一下三年总成本。", "方便说说您是跟哪家比吗？", "我们可以分期付款。", "实施费可以全免。"]
EN_REPLIES = ["Fair point, let us look at the three-year cost.", "Which quote are you comparing with?",
              "We can split the payment.", "We can waive the set-up fee."]


def _deals(lang: str, count: int = 24) -> list[DealRecord]:
    lines, replies = (ZH_LINES, ZH_REPLIES) if lang == "zh" else (EN_LINES, EN_REPLIES)
    out = []
    for i in range(count):
        objection = "price" if i % 4 else "authority"
        outcome = "won" if i % 3 else "lost"
        turns = [Turn(speaker="customer", text=f"{lines[i % len(lines)]} ({i})", objections=[objection]),
                 Turn(speaker="rep", text=replies[i % len(replies)]),
                 Turn(speaker="customer", text=lines[(i * 5 + 3) % len(lines)], objections=[objection]),
                 Turn(speaker="rep", text=replies[(i + 1) % len(replies)])]
        out.append(DealRecord(deal_id=f"{lang}-{i}", lang=lang, outcome=outcome, industry="saas", turns=turns))
    return out


class CountingStore:
    """Wraps a vector store and counts the queries it is asked (the pinned path must ask none)."""

    def __init__(self, inner) -> None:
        self.inner, self.queries = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def query(self, *args, **kwargs):
        self.queries += 1
        return self.inner.query(*args, **kwargs)


@pytest.fixture(params=["chroma", "memory"])
def index(request, tmp_path):
    inner = ChromaStore(collection="pins-test", path=tmp_path / "chroma") if request.param == "chroma" \
        else MemoryVectorStore()
    idx = HybridIndex(CountingStore(inner), BM25Index(tmp_path / "bm25"), HashEmbedder())
    idx.add_records(_deals("zh") + _deals("en"))
    return idx


def _kit(index) -> LiveKit:
    playbooks = load_playbooks()
    return LiveKit(detector=CueDetector(), playbooks=playbooks, index=index, judge=CueJudge(playbooks))


def _moments(assist, lang: str) -> list[list[tuple]]:
    lines = ZH_LINES if lang == "zh" else EN_LINES
    return [[(m.deal_id, m.text, m.next_rep, m.score) for m in assist.moments(text, "price", lang)]
            for text in lines + [lines[0] + lines[1]]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_card_moments_are_the_same_lines_and_need_no_vector_store_query_once_warmed(index, lang):
    kit = _kit(index)
    before = _moments(kit.new_call(), lang)  # cold: the vector store answers, as before
    assert index.store.queries > 0 and all(len(found) == 3 for found in before)
    kit.warm_up()
    assert index.pins.rows == sum(1 for d in _deals("zh") + _deals("en") if d.outcome == "won") * 2
    index.store.queries = 0
    after = _moments(kit.new_call(), lang)
    assert index.store.queries == 0, "the card's lookup went to the vector store although its slice is pinned"
    assert after == before
    assert all(m[0].startswith(lang) for found in after for m in found)


@pytest.mark.parametrize("lang,filters", [
    ("zh", {"speaker": "customer", "outcome": "won"}),  # no objection: no slice covers it
    ("en", {"speaker": "customer", "outcome": "lost", "objection": "price"}),  # not the won deals
    ("zh", {"speaker": "customer", "outcome": "won", "objection": {"$in": ["price", "authority"]}}),
])
def test_queries_no_slice_covers_go_to_the_vector_store(index, lang, filters):
    index.warm()
    index.store.queries = 0
    hits = index.search(ZH_LINES[0] if lang == "zh" else EN_LINES[0], k=5, filters=filters, mode="dense")
    assert hits and index.store.queries == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_new_or_rewritten_won_line_is_found_after_ingest(index, lang):
    index.warm()
    filters = {"speaker": "customer", "outcome": "won", "objection": "price", "lang": lang}
    new_text = "续约价格涨得离谱，凭什么" if lang == "zh" else "Why did the renewal price jump like that"
    deal = DealRecord(deal_id=f"{lang}-new", lang=lang, outcome="won", industry="saas", turns=[
        Turn(speaker="customer", text=new_text, objections=["price"]), Turn(speaker="rep", text="好的 / sure")])
    index.add_records([deal])
    index.store.queries = 0
    top = index.search(new_text, k=3, filters=filters, mode="dense")[0]
    assert (top.doc_id, top.text) == (f"{lang}-new#0", new_text) and top.score == pytest.approx(1.0, abs=1e-5)
    rewritten = "合同条款我们得再看看" if lang == "zh" else "We need to read the contract terms again"
    index.add_records([deal.model_copy(update={"turns": [Turn(speaker="customer", text=rewritten,
                                                              objections=["price"]), *deal.turns[1:]]})])
    top = index.search(rewritten, k=3, filters=filters, mode="dense")[0]
    assert (top.doc_id, top.text) == (f"{lang}-new#0", rewritten) and top.score == pytest.approx(1.0, abs=1e-5)
    old = index.search(new_text, k=30, filters=filters, mode="dense")
    assert next(h.score for h in old if h.doc_id == f"{lang}-new#0") < 0.99, "the slice kept the old vector"
    assert index.store.queries == 0


def test_stores_hand_their_vectors_back(tmp_path):
    vectors = HashEmbedder().embed(["价格太贵了", "too expensive"], kind="passage")
    metas = [{"objection": "price", "speaker": "customer"}, {"objection": "none", "speaker": "rep"}]
    for store in (ChromaStore(collection="vec-test", path=tmp_path / "c"), MemoryVectorStore()):
        store.add(["a", "b"], vectors, ["", ""], metas)
        got = store.vectors(["a", "b", "missing"])
        assert set(got) == {"a", "b"}
        np.testing.assert_allclose(got["a"] / np.linalg.norm(got["a"]), vectors[0] / np.linalg.norm(vectors[0]),
                                   atol=1e-6)
        assert set(store.vectors(["a", "b"], {"objection": "price"})) >= {"a"}


def _keyword_index() -> BM25Index:
    """Won and lost customer lines of two objections in both languages, plus rep lines (400 rows)."""
    from knowledge.index.docs import TurnDoc

    docs = []
    for lang, lines in (("zh", ZH_LINES), ("en", EN_LINES)):
        for i in range(200):
            customer = i % 2 == 0
            meta = {"speaker": "customer" if customer else "rep", "lang": lang, "outcome": "won" if i % 3 else "lost",
                    "objection": ("price" if i % 4 else "authority") if customer else "none"}
            text = f"{lines[i % len(lines)]} {lines[(i * 3) % len(lines)]}" if customer else \
                (ZH_REPLIES if lang == "zh" else EN_REPLIES)[i % 4]
            docs.append(TurnDoc(doc_id=f"{lang}-{i}", deal_id=f"{lang}-d{i}", turn_idx=0, text=text, metadata=meta))
    index = BM25Index()
    index.add(docs)
    return index


@pytest.mark.parametrize("lang,query", [("zh", "价格太贵了 预算 报价"), ("en", "the price is too expensive budget")])
def test_pinned_keyword_rows_rank_and_score_as_the_whole_matrix(lang, query):
    from knowledge.index.tokenize import tokenize

    filters = {"speaker": "customer", "outcome": "won", "objection": "price", "lang": lang}
    plain = _keyword_index()
    want = plain.search([tokenize(query)], k=8, filters=filters)[0]
    pinned = _keyword_index()
    covered = pinned.pin([{"speaker": "customer", "outcome": "won", "objection": o} for o in ("price", "authority")])
    assert covered == sum(1 for i in range(200) if i % 2 == 0 and i % 3) * 2
    pinned._matches = None  # the whole-matrix postings must not be read for a pinned filter
    got = pinned.search([tokenize(query)], k=8, filters=filters)[0]
    assert got and [doc for doc, _ in got] == [doc for doc, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-6)
    assert all(doc.startswith(lang) for doc, _ in got)
    # the same filter without the language, and one the pins do not cover, still agree with the plain index
    for other in ({k: v for k, v in filters.items() if k != "lang"}, {**filters, "outcome": "lost"}):
        pinned.__dict__.pop("_matches", None)
        assert pinned.search([tokenize(query)], k=8, filters=other) == plain.search([tokenize(query)], k=8,
                                                                                     filters=other)


@pytest.mark.parametrize("lang,text", [("zh", "续约价格涨得离谱"), ("en", "renewal price jumped outrageously")])
def test_pinned_keyword_rows_follow_an_added_line(lang, text):
    from knowledge.index.docs import TurnDoc
    from knowledge.index.tokenize import tokenize

    index = _keyword_index()
    index.pin([{"speaker": "customer", "outcome": "won", "objection": "price"}])
    filters = {"speaker": "customer", "outcome": "won", "objection": "price", "lang": lang}
    index.add([TurnDoc(doc_id=f"{lang}-new", deal_id=f"{lang}-new", turn_idx=0, text=text,
                       metadata={"speaker": "customer", "lang": lang, "outcome": "won", "objection": "price"})])
    assert index.search([tokenize(text)], k=1, filters=filters)[0][0][0] == f"{lang}-new"
