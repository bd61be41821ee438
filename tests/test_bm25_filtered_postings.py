"""A filtered BM25 search reads only the query tokens' postings; it must rank exactly as scoring every row does."""

import numpy as np
import pytest

from knowledge.index.bm25 import BM25Index
from knowledge.index.docs import TurnDoc
from knowledge.index.tokenize import tokenize

FILLER = {"zh": ["我们下周开会再说", "系统用得还行", "今天先聊到这里", "发个资料看看"],
          "en": ["we will meet next week", "the system works fine", "let us stop here today", "send me the deck"]}
RARE = {"zh": ["价格太贵了", "预算不够", "太贵了还要运费"], "en": ["price is too high", "no budget left", "too high with shipping"]}


def _index() -> BM25Index:
    docs = []
    for lang in ("zh", "en"):
        for i in range(400):
            rare = i % 40 == 0
            text = RARE[lang][i // 40 % 3] if rare else FILLER[lang][i % 4] + f" {i}"
            meta = {"speaker": "customer" if i % 2 == 0 else "rep", "lang": lang,
                    "industry": "saas" if i % 3 else "retail", "act": "raise_objection" if rare else "none"}
            docs.append(TurnDoc(doc_id=f"{lang}-{i}", deal_id=f"{lang}-d{i // 10}", turn_idx=i % 10, text=text,
                                metadata=meta))
    index = BM25Index()
    index.add(docs)
    return index


def _brute_force(index: BM25Index, query: str, k: int, filters: dict) -> list[tuple[str, float]]:
    """Every row scored by bm25s, filtered by hand, ties to the earlier row."""
    index.search([tokenize(query)], k=1)  # builds the matrix
    known = [t for t in tokenize(query) if t in index._model.vocab_dict]
    scores = index._model.get_scores(known)
    rows = [r for r in range(len(scores)) if scores[r] > 0
            and all(index.get(index._ids[r])["meta"].get(f) == v for f, v in filters.items())]
    rows.sort(key=lambda r: (-scores[r], r))
    return [(index._ids[r], float(scores[r])) for r in rows[:k]]


@pytest.mark.parametrize("lang,query", [("zh", "太贵了 预算"), ("en", "too high budget")])
def test_filtered_search_matches_scoring_every_row(lang, query):
    index = _index()
    filters = {"speaker": "customer", "lang": lang, "industry": "saas"}
    want = _brute_force(index, query, 5, filters)
    dense = index._model.get_scores
    index._model.get_scores = None  # the filtered path must not score every row
    got = index.search([tokenize(query)], k=5, filters=filters)[0]
    index._model.get_scores = dense
    assert got, "the rare objection lines pass these filters and must be found"
    assert [doc for doc, _ in got] == [doc for doc, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5)
    assert all(index.get(doc)["meta"]["lang"] == lang for doc, _ in got)


def test_tied_scores_come_back_in_row_order_every_time():
    index = _index()
    filters = {"speaker": "customer", "lang": "zh"}
    first = index.search([tokenize("价格太贵了")], k=3, filters=filters)[0]
    again = index.search([tokenize("价格太贵了")], k=3, filters=filters)[0]
    assert first == again
    assert [doc for doc, _ in first] == sorted((doc for doc, _ in first), key=lambda d: int(d.split("-")[1]))


def test_combined_filter_mask_is_cached_and_matches_the_fields():
    index = _index()
    filters = {"speaker": "customer", "lang": "en", "act": "raise_objection"}
    hits = index.search([tokenize("too high")], k=50, filters=filters)[0]
    assert hits and all(index.get(doc)["meta"]["act"] == "raise_objection" for doc, _ in hits)
    assert any(isinstance(key[0], tuple) for key in index._masks), "the AND of the three fields is cached"


def test_warming_builds_each_fields_masks_once_and_searches_agree():
    index = _index()
    cold = index.search([tokenize("太贵了 预算")], k=5, filters={"speaker": "customer", "lang": "zh"})[0]
    fresh = _index()
    built = fresh.warm_filters(("speaker", "lang", "industry", "act", "objection"))
    assert built == 2 + 2 + 2 + 2  # objection is not a field of these docs
    assert fresh.warm_filters(("speaker", "lang")) == 0  # already there
    mask = fresh._masks[("lang", (repr("zh"),))]
    assert mask.sum() == 400 and all(fresh.get(fresh._ids[r])["meta"]["lang"] == "zh" for r in mask.nonzero()[0])
    assert fresh.search([tokenize("太贵了 预算")], k=5, filters={"speaker": "customer", "lang": "zh"})[0] == cold
