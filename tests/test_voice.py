"""Text-to-speech: cache, engine choice and fallback with fakes, real espeak-ng, missing engine, `coach say`."""

from __future__ import annotations

import io
import shutil
import socket
import wave

import pytest
from typer.testing import CliRunner

from coach.voice import TTSEngine, TTSError, candidate_engines, speak
from coach.voice.engines import EdgeEngine, EspeakEngine, is_reachable
from knowledge.settings import SetupError, get_settings

HAS_ESPEAK = shutil.which("espeak-ng") is not None
needs_espeak = pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(autouse=True)
def _auto_tts(monkeypatch):
    """The shared set-up pins COACH_TTS=espeak; these tests inject fake engines and exercise `auto`."""
    from knowledge.settings import get_settings

    monkeypatch.setenv("COACH_TTS", "auto")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class FakeEngine(TTSEngine):
    """Counts calls; can be made unavailable or failing, limited to some languages or genders."""

    def __init__(self, name, *, ok=True, fail=False, languages=("zh", "en"), genders=("female", "male")):
        self.name, self.ok, self.fail = name, ok, fail
        self.languages, self.genders = languages, genders
        self.calls: list[tuple[str, str, str]] = []

    def available(self):
        return (True, "") if self.ok else (False, f"{self.name} missing")

    def synthesize(self, text, lang, gender="female", voice=None):
        self.calls.append((text, lang, gender))
        if self.fail:
            raise TTSError("boom")
        return f"RIFF {self.name} {text}".encode()


def fakes(**kwargs):
    engines = {name: FakeEngine(name, **opts) for name, opts in kwargs.items()}
    return engines


@pytest.mark.parametrize("text,lang", [("你们的报价太高了。", "zh"), ("Your price is too high.", "en")])
def test_same_line_is_synthesized_once(text, lang):
    engines = fakes(espeak={})
    settings = get_settings().model_copy(update={"tts": "espeak"})
    first = speak(text, lang, settings=settings, engines=engines)
    second = speak(text, lang, settings=settings, engines=engines)
    assert first == second and first.read_bytes() == f"RIFF espeak {text}".encode()
    assert first.parent == settings.audio_cache
    assert len(engines["espeak"].calls) == 1
    speak(text, lang, "male", settings=settings, engines=engines)  # another voice is another cache entry
    speak(text + "!", lang, settings=settings, engines=engines)
    assert len(engines["espeak"].calls) == 3


def test_auto_prefers_edge_when_online_then_offline_engines():
    engines = fakes(edge={}, piper={"languages": ("en",), "genders": ("male",)}, espeak={})
    assert speak("你好", "zh", engines=engines).name.startswith("edge-")
    engines["edge"].ok = False
    assert speak("你好", "zh", engines=engines).name.startswith("espeak-")
    assert speak("Hello there", "en", "male", engines=engines).name.startswith("piper-")
    # piper only has a male voice, so a female English customer goes to espeak first
    assert speak("Hello there", "en", "female", engines=engines).name.startswith("espeak-")
    assert len(engines["edge"].calls) == 1  # only while it was online


def test_failing_engine_falls_back_to_the_next():
    engines = fakes(edge={"fail": True}, espeak={})
    path = speak("我们再考虑一下。", "zh", engines=engines)
    assert path.name.startswith("espeak-")
    assert len(engines["edge"].calls) == 1 and len(engines["espeak"].calls) == 1


def test_candidate_order_and_skip_reasons():
    engines = fakes(edge={"ok": False}, piper={"languages": ("en",), "genders": ("male",)}, espeak={})
    usable, skipped = candidate_engines("zh", "female", "auto", engines)
    assert [e.name for e in usable] == ["espeak"]
    assert skipped == ["edge: edge missing"]
    usable, _ = candidate_engines("en", "male", "auto", engines)
    assert [e.name for e in usable] == ["piper", "espeak"]


def test_edge_is_skipped_offline_without_touching_the_network():
    probes = []
    edge = EdgeEngine(online=lambda: probes.append(1) or False)
    engines = {"edge": edge, "espeak": FakeEngine("espeak")}
    assert speak("价格能不能再低一点？", "zh", engines=engines).name.startswith("espeak-")
    assert probes == [1]
    assert "offline" in edge.available()[1]


def test_reachability_probe_against_local_ports():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert is_reachable("127.0.0.1", port, timeout=2.0)
    assert not is_reachable("127.0.0.1", port, timeout=2.0)  # closed now


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_engine_says_what_to_install(lang):
    engines = {"espeak": EspeakEngine(binary="no-such-espeak-ng"), "edge": EdgeEngine(online=lambda: False)}
    with pytest.raises(SetupError) as err:
        speak("你好" if lang == "zh" else "hello", lang, engines=engines)
    message = str(err.value)
    assert "apt-get install espeak-ng" in message and "offline" in message and "text practice" in message


def test_unknown_engine_name_and_bad_input():
    settings = get_settings().model_copy(update={"tts": "festival"})
    with pytest.raises(SetupError, match="COACH_TTS='festival'.*espeak"):
        speak("hello", "en", settings=settings)
    with pytest.raises(ValueError, match="use zh or en"):
        speak("bonjour", "fr", engines=fakes(espeak={}))
    with pytest.raises(ValueError, match="empty"):
        speak("  ", "zh", engines=fakes(espeak={}))


def test_persona_keeps_a_stable_voice():
    edge = EdgeEngine(online=lambda: False)
    assert edge.voice("zh", "female", "persona-7") == edge.voice("zh", "female", "persona-7")
    assert edge.voice("zh", "male").startswith("zh-CN-")
    voices = {EspeakEngine().voice("zh", "female", f"p{i}") for i in range(20)}
    assert len(voices) > 1 and all(v.startswith("cmn-latn-pinyin+f") for v in voices)


@needs_espeak
def test_espeak_speed_is_part_of_the_cache_key():
    slow, fast = EspeakEngine(speeds={"zh": 110}), EspeakEngine(speeds={"zh": 170})
    settings = get_settings().model_copy(update={"tts": "espeak"})
    a = speak("我们下周再谈。", "zh", settings=settings, engines={"espeak": slow})
    b = speak("我们下周再谈。", "zh", settings=settings, engines={"espeak": fast})
    assert a != b and _wav_seconds(a.read_bytes()) > _wav_seconds(b.read_bytes())


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getnframes() / wav.getframerate()


@needs_espeak
@pytest.mark.parametrize(
    "text,lang,voice",
    [("您好，我是采购部的王经理。", "zh", "cmn-latn-pinyin"), ("Hello, I run purchasing here.", "en", "en-us")],
)
def test_espeak_really_speaks(text, lang, voice):
    settings = get_settings().model_copy(update={"tts": "espeak"})
    path = speak(text, lang, "female", settings=settings)
    data = path.read_bytes()
    assert path.suffix == ".wav" and data.startswith(b"RIFF")
    assert 0.8 < _wav_seconds(data) < 10  # a well-formed header: sizes match the samples written
    assert EspeakEngine().voice(lang, "female").startswith(voice)


def _cli():
    from ui.cli.app import _load_commands, app

    _load_commands()
    return app


@needs_espeak
@pytest.mark.parametrize("text,lang", [("这个价格我们接受不了", "zh"), ("That price does not work for us", "en")])
def test_cli_say_writes_a_wav(tmp_path, text, lang):
    out = tmp_path / "line.wav"
    result = CliRunner().invoke(_cli(), ["say", text, "--lang", lang, "--engine", "espeak", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    assert out.read_bytes().startswith(b"RIFF") and _wav_seconds(out.read_bytes()) > 0.5


def test_cli_say_bad_language_is_one_line():
    from ui.cli.errors import UserError

    result = CliRunner().invoke(_cli(), ["say", "hola", "--lang", "es", "--engine", "espeak"])
    assert result.exit_code != 0 and isinstance(result.exception, UserError)
    assert "use zh or en" in str(result.exception)
