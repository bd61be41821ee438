"""Speech-to-text: model assembly, simplified output, chunked transcription, a real round trip, the CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from coach.voice import (
    STT_ENGINES,
    Segment,
    SpeechToText,
    Transcript,
    speak,
    to_simplified,
    transcribe_chunks,
)
from coach.voice.stt import MARKER, SAMPLE_RATE, WhisperSTT, whisper_model_dir
from evals.voice.metrics import error_rate
from knowledge.settings import get_settings


class FakeSTT(SpeechToText):
    name = "fake"

    def __init__(self):
        self.calls = []

    def transcribe(self, audio, lang):
        seconds = len(audio) / SAMPLE_RATE if isinstance(audio, np.ndarray) else 1.0
        self.calls.append((audio, lang))
        text = "太贵了" if lang == "zh" else "too expensive"
        return Transcript(text=text, segments=[Segment(start=0.0, end=seconds, text=text)], seconds=seconds, lang=lang)


def test_traditional_output_is_normalised_to_simplified():
    assert to_simplified("您們的報價比競爭對手高") == "您们的报价比竞争对手高"


@pytest.mark.parametrize(
    "ref,hyp,lang,rate",
    [
        ("你们的报价太高了。", "你們的報價太高了", "zh", 0.0),  # traditional + punctuation don't count
        ("你们的报价太高了", "你们的报价太低了", "zh", 1 / 8),
        ("Your price is 20% higher.", "your price is twenty percent higher", "en", 1 / 6),
        ("Call me next quarter.", "call me next quarter", "en", 0.0),
    ],
)
def test_error_rates(ref, hyp, lang, rate):
    assert error_rate(ref, hyp, lang) == pytest.approx(rate)


def test_model_is_assembled_once_and_reused(tmp_path):
    target = whisper_model_dir(target=tmp_path / "whisper")
    model = target / "model.bin"
    stamp = json.loads((target / MARKER).read_text())
    assert model.stat().st_size == stamp["size"] == sum(stamp["parts"].values()) > 100_000_000
    assert {p.name for p in target.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    inode = model.stat().st_ino
    assert whisper_model_dir(target=target) == target and model.stat().st_ino == inode  # reused
    (target / MARKER).write_text("{}")  # a stale marker forces a clean rebuild
    whisper_model_dir(target=target)
    assert json.loads((target / MARKER).read_text()) == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".whisper-")]  # no temp folders left


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chunks_of_live_audio_get_stream_times(lang):
    fake = FakeSTT()
    chunks = [np.zeros(SAMPLE_RATE * 2, dtype=np.float32), np.zeros(0, dtype=np.float32),
              np.zeros(SAMPLE_RATE * 3, dtype=np.float32)]
    parts = list(transcribe_chunks(iter(chunks), lang, transcriber=fake))
    assert len(parts) == 2 and len(fake.calls) == 2  # the empty chunk is skipped
    assert [(s.start, s.end) for p in parts for s in p.segments] == [(0.0, 2.0), (2.0, 5.0)]
    assert all(call[1] == lang for call in fake.calls)


def test_chunks_of_a_file_are_windows(tmp_path):
    import wave

    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(b"\0\0" * SAMPLE_RATE * 5)
    fake = FakeSTT()
    parts = list(transcribe_chunks(path, "zh", chunk_seconds=2, transcriber=fake))
    assert [round(p.seconds, 2) for p in parts] == [2.0, 2.0, 1.0]
    assert parts[-1].segments[0].start == pytest.approx(4.0)
    with pytest.raises(FileNotFoundError):
        list(transcribe_chunks(tmp_path / "missing.wav", "zh", transcriber=fake))


def _cli():
    from ui.cli.app import _load_commands, app

    _load_commands()
    return app


@pytest.mark.parametrize("lang,text", [("zh", "太贵了"), ("en", "too expensive")])
def test_cli_transcribe_json(tmp_path, monkeypatch, lang, text):
    monkeypatch.setitem(STT_ENGINES, "whisper", FakeSTT)
    audio = tmp_path / "reply.wav"
    audio.write_bytes(b"RIFF")
    result = CliRunner().invoke(_cli(), ["transcribe", str(audio), "--lang", lang, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["text"] == text and data["lang"] == lang and data["segments"][0]["text"] == text
    plain = CliRunner().invoke(_cli(), ["transcribe", str(audio), "--lang", lang])
    assert plain.output.strip() == text


def test_cli_transcribe_missing_file_names_it(tmp_path):
    from ui.cli.errors import UserError

    result = CliRunner().invoke(_cli(), ["transcribe", str(tmp_path / "nope.wav"), "--lang", "zh"])
    assert isinstance(result.exception, UserError) and "nope.wav" in str(result.exception)


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    return WhisperSTT(model_dir=whisper_model_dir(target=tmp_path_factory.mktemp("models") / "whisper"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_round_trip_chinese_espeak(whisper):
    ref = "如果价格合适，我们可以先试用一个月。"
    path = speak(ref, "zh", "female", settings=get_settings().model_copy(update={"tts": "espeak"}))
    result = whisper.transcribe(path, "zh")
    assert result.lang == "zh" and result.seconds > 1 and result.segments
    assert result.text == to_simplified(result.text)
    # espeak's Mandarin is robotic: this line comes back nearly whole (see `python -m evals.voice`)
    assert "我们可以" in result.text and error_rate(ref, result.text, "zh") < 0.4


@pytest.mark.slow
def test_round_trip_english_piper(whisper):
    ref = "Please send the detailed contract terms to my email."
    path = speak(ref, "en", "male", settings=get_settings().model_copy(update={"tts": "piper"}))
    result = whisper.transcribe(path, "en")
    assert result.lang == "en" and result.seconds > 1
    assert error_rate(ref, result.text, "en") < 0.2


def test_shipped_eval_sentences_load():
    from evals.voice import load_sentences

    sentences = load_sentences()
    assert len(sentences.zh) >= 5 and len(sentences.en) >= 5
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in line) for line in sentences.zh)


def test_bad_sentences_file_names_it(tmp_path):
    from evals.voice import load_sentences

    bad = tmp_path / "sentences.yaml"
    bad.write_text("zh: []\nen: [hello]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="sentences.yaml: field 'zh': List should have at least 1 item"):
        load_sentences(bad)


def test_voice_eval_scores_what_the_transcriber_returns(monkeypatch):
    """The runner with a fake TTS (writes the text) and a fake STT (reads it back, dropping one word/char)."""
    from coach.voice import TTS_ENGINES, TTSEngine
    from evals.voice.run import Sentences, run_voice_eval

    class TextTTS(TTSEngine):
        name = "text"

        def synthesize(self, text, lang, gender="female", voice=None):
            return text.encode("utf-8")

    class LossySTT(SpeechToText):
        def transcribe(self, audio, lang):
            text = audio.read_text(encoding="utf-8")
            text = text[1:] if lang == "zh" else text.split(" ", 1)[1]
            return Transcript(text=text, seconds=1.0, lang=lang)

    monkeypatch.setitem(TTS_ENGINES, "text", TextTTS)
    sentences = Sentences(zh=["你们太贵了", "再考虑一下"], en=["too expensive for us", "call me later"])
    report = run_voice_eval(sentences, {"zh": "text", "en": "text"}, transcriber=LossySTT(), progress=False)
    assert report["languages"]["zh"]["cer"] == pytest.approx(2 / 10, abs=1e-4)
    assert report["languages"]["en"]["wer"] == pytest.approx(2 / 7, abs=1e-4)
    assert report["languages"]["en"]["detail"][1] == {
        "ref": "call me later", "hyp": "me later", "wer": 0.333, "audio_seconds": 1.0,
    }
