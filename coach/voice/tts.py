"""Text-to-speech: one small interface, a registry keyed by name, and ``speak`` with an audio cache.

The customer's lines are heard through whichever engine works here: edge-tts when Microsoft's service is
reachable, otherwise an offline engine (espeak-ng, or piper for English). Audio is cached under
``settings.audio_cache`` keyed by (engine, voice, text) so a line is synthesized once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar

from knowledge.settings import Settings, SetupError, get_settings

log = logging.getLogger(__name__)

LANGS = ("zh", "en")
GENDERS = ("female", "male")
INSTALL_HINT = (
    "install espeak-ng (apt-get install espeak-ng, or `make run` which does it) for offline speech, "
    "or go online for edge-tts; text practice works without a voice"
)


class TTSError(RuntimeError):
    """An engine could not produce audio for this line; ``speak`` moves on to the next engine."""


class TTSEngine(ABC):
    """One way to turn a line into audio. Only ``synthesize`` is required."""

    name: ClassVar[str] = ""
    suffix: ClassVar[str] = ".wav"
    languages: ClassVar[tuple[str, ...]] = LANGS
    genders: ClassVar[tuple[str, ...]] = GENDERS

    def available(self) -> tuple[bool, str]:
        """Whether the engine can run here, and if not, why (a quick check: no synthesis)."""
        return True, ""

    def voice(self, lang: str, gender: str = "female", persona_id: str | None = None) -> str:
        """The voice id for this language, gender and persona; part of the cache key."""
        return f"{lang}-{gender}"

    def options(self, lang: str) -> str:
        """Settings besides the voice that change the sound (e.g. speed); part of the cache key."""
        return ""

    @abstractmethod
    def synthesize(self, text: str, lang: str, gender: str = "female", voice: str | None = None) -> bytes:
        """Return the audio bytes (format given by ``suffix``); raise TTSError when it fails."""


TTS_ENGINES: dict[str, Callable[[], TTSEngine]] = {}

# Preference order for COACH_TTS=auto; engines that cannot run (offline, not installed, wrong language)
# are skipped, and within the order an engine that has a voice of the persona's gender comes first.
AUTO_ORDER: dict[str, tuple[str, ...]] = {"zh": ("edge", "espeak"), "en": ("edge", "piper", "espeak")}


def register_engine(factory: Callable[[], TTSEngine]) -> Callable[[], TTSEngine]:
    """Register an engine class (or factory with a ``name``) under its name; usable as a decorator."""
    TTS_ENGINES[factory.name] = factory
    return factory


def get_engine(name: str) -> TTSEngine:
    """Build the engine registered under ``name``; an unknown name lists the known ones."""
    try:
        return TTS_ENGINES[name]()
    except KeyError:
        known = ", ".join(["auto", *sorted(TTS_ENGINES)])
        raise SetupError(f"COACH_TTS={name!r} is not a text-to-speech engine; use one of: {known}") from None


def normalise_lang(lang: str) -> str:
    """'zh-CN' -> 'zh', 'en_US' -> 'en'; anything else is a ValueError naming the choices."""
    short = (lang or "").replace("_", "-").split("-")[0].lower()
    if short not in LANGS:
        raise ValueError(f"language {lang!r} is not supported for speech; use zh or en")
    return short


def candidate_engines(
    lang: str, gender: str = "female", choice: str = "auto", engines: Mapping[str, TTSEngine] | None = None
) -> tuple[list[TTSEngine], list[str]]:
    """Engines to try for this line, best first, and the reasons the others were skipped."""
    names = AUTO_ORDER[lang] if choice == "auto" else (choice,)
    pool = dict(engines) if engines is not None else {}
    usable: list[TTSEngine] = []
    skipped: list[str] = []
    for name in names:
        engine = pool.get(name) if engines is not None else get_engine(name)
        if engine is None:
            skipped.append(f"{name}: not configured")
            continue
        if lang not in engine.languages:
            skipped.append(f"{name}: no {lang} voice")
            continue
        ok, why = engine.available()
        if not ok:
            skipped.append(f"{name}: {why}")
            continue
        usable.append(engine)
    usable.sort(key=lambda e: gender not in e.genders)  # stable: keeps the preference order otherwise
    return usable, skipped


def cache_path(cache_dir: Path, engine: TTSEngine, voice: str, text: str, options: str = "") -> Path:
    """Where the audio for (engine, voice, options, text) lives; the same line always maps to the same file."""
    digest = hashlib.sha256("\0".join([engine.name, voice, options, text]).encode("utf-8")).hexdigest()[:32]
    return cache_dir / f"{engine.name}-{digest}{engine.suffix}"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def speak(
    text: str,
    lang: str,
    gender: str = "female",
    persona_id: str | None = None,
    *,
    settings: Settings | None = None,
    engines: Mapping[str, TTSEngine] | None = None,
) -> Path:
    """Synthesize ``text`` (or reuse the cached audio) and return the audio file's path.

    The engine follows ``settings.tts`` (``auto`` tries edge when online, then the offline engines). An
    engine that fails moves on to the next; when none works a SetupError says what to install.
    ``engines`` replaces the registry (tests pass fakes here).
    """
    text = (text or "").strip()
    if not text:
        raise ValueError("nothing to say: the text is empty")
    lang = normalise_lang(lang)
    if gender not in GENDERS:
        raise ValueError(f"gender {gender!r} is not supported for speech; use female or male")
    settings = settings or get_settings()
    usable, problems = candidate_engines(lang, gender, settings.tts, engines)
    for engine in usable:
        voice = engine.voice(lang, gender, persona_id)
        path = cache_path(settings.audio_cache, engine, voice, text, engine.options(lang))
        if path.exists():
            return path
        try:
            audio = engine.synthesize(text, lang, gender, voice)
        except TTSError as exc:
            log.warning("text-to-speech %s failed, trying the next engine: %s", engine.name, exc)
            problems.append(f"{engine.name}: {exc}")
            continue
        if not audio:
            problems.append(f"{engine.name}: produced no audio")
            continue
        _write_atomic(path, audio)
        return path
    detail = "; ".join(problems) or "no engine registered"
    raise SetupError(f"no text-to-speech engine could speak {lang} (COACH_TTS={settings.tts}: {detail}); {INSTALL_HINT}")


def engine_status(engines: Mapping[str, TTSEngine] | None = None) -> dict[str, str]:
    """Each registered engine and whether it can run here ('ok' or the reason), for `coach doctor`-like views."""
    pool = engines if engines is not None else {name: get_engine(name) for name in TTS_ENGINES}
    status = {}
    for name, engine in pool.items():
        ok, why = engine.available()
        status[name] = "ok" if ok else why
    return status
