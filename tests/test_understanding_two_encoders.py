"""The understanding layer with two encoders (knowledge/understanding/model.py): the customer heads read customer
lines through one (the tuned encoder), the reply heads read both sides of a pair through the other (retrieval's).
Trained and read here with two hash embedders whose spaces differ, so a vector from the wrong encoder shows."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.index.fakes import HashEmbedder
from knowledge.taxonomy import NO_OBJECTION
from knowledge.understanding import UnderstandingModel
from knowledge.understanding.features import customer_features
from knowledge.understanding.model import CLASSES

PAIRS = {
    "zh": ("你们这个价格比别家贵了三成，凭什么？", "理解您的顾虑。您对比的是哪一家的哪个套餐？我把两边的服务内容列出来给您看。"),
    "en": ("Your price is thirty percent above the other vendor. Why?",
           "Fair question. Which vendor and plan are you comparing? I can lay both side by side for you."),
}


class RotatedHash(HashEmbedder):
    """HashEmbedder's vectors turned by a fixed rotation: another encoder's space, same information."""

    name = "hash-rotated"

    def __init__(self, dim: int = 256) -> None:
        super().__init__(dim)
        self.rotation = np.linalg.qr(np.random.default_rng(3).normal(size=(dim, dim)))[0].astype(np.float32)

    def embed(self, texts, kind: str = "passage") -> np.ndarray:
        return super().embed(texts, kind) @ self.rotation


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from evals.understanding.train import TUNED_PRIOR, TUNED_TEMPERATURE, train
    from tests.test_understanding import _small_data

    path = tmp_path_factory.mktemp("two") / "a.npz"
    base, tuned = HashEmbedder(), RotatedHash()
    figures = train(base, path, _small_data(), encoder_id="rotated", customer_embedder=tuned)
    return path, figures, (TUNED_PRIOR, TUNED_TEMPERATURE)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_customer_heads_read_the_customer_encoder_and_pairs_agree(trained, lang):
    path, _, _ = trained
    base, tuned = HashEmbedder(), RotatedHash()
    model = UnderstandingModel(path, base, tuned)
    customer, reply = PAIRS[lang]
    reading = model.read_customers([customer])[0]
    vectors = tuned.embed([customer], kind="query")
    raw = model.objection_probabilities(vectors, customer_features(vectors, [customer], model.cues), calibrated=False)
    assert 1 - raw[0, CLASSES.index(NO_OBJECTION)] == pytest.approx(model.raw_p_objection(reading), abs=1e-3)
    wrong = base.embed([customer], kind="query")  # the other encoder's vector gives another reading
    raw_wrong = model.objection_probabilities(wrong, customer_features(wrong, [customer], model.cues), calibrated=False)
    assert not np.allclose(raw, raw_wrong, atol=1e-3)
    pair = model.read_replies([(customer, reply)])[0]
    assert pair.objection == reading.objection  # a graded pair reads its customer as detection does
    calm = model.read_customers(["好的，谢谢" if lang == "zh" else "Great, thanks."])[0]
    other = model.read_replies([(customer, reply)], customers=[calm])[0]
    assert pair.quality != pytest.approx(other.quality, abs=1e-6)  # ... and that reading feeds the grade


def test_an_artefact_fit_on_two_encoders_refuses_to_load_with_one(trained):
    from knowledge.settings import SetupError

    path, _, _ = trained
    with pytest.raises(SetupError, match="hash-rotated.*coach train"):
        UnderstandingModel(path, HashEmbedder())


def test_the_artefact_records_both_encoders_and_the_tuned_calibration(trained):
    path, figures, (prior, temperature) = trained
    model = UnderstandingModel(path, HashEmbedder(), RotatedHash())
    assert model.meta["encoder_id"] == "rotated" and model.meta["customer_embedder"] == "hash-rotated"
    assert model.meta["embedder"] == "hash"
    assert model.calibration.prior == prior and model.calibration.temperature == temperature
    assert figures["calibration"] == model.meta["calibration"]
    assert model.heads["reply_question"] is not model.heads["question"]  # the replies' own question head
    asks = model.read_replies([("多少钱？", "您大概预算多少？"), ("How much?", "What budget do you have in mind?")])
    assert all(0.0 <= r.asks_question <= 1.0 for r in asks)
