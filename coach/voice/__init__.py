"""Voice: the customer's lines as audio (text-to-speech) and the trainee's speech as text (speech-to-text)."""

from coach.voice import engines as _engines  # noqa: F401 - registers the built-in TTS engines
from coach.voice.stt import (
    STT_ENGINES,
    Segment,
    SpeechToText,
    Transcript,
    WhisperSTT,
    get_transcriber,
    register_stt,
    to_simplified,
    transcribe,
    transcribe_chunks,
    whisper_model_dir,
)
from coach.voice.tts import (
    AUTO_ORDER,
    TTS_ENGINES,
    TTSEngine,
    TTSError,
    candidate_engines,
    engine_status,
    get_engine,
    register_engine,
    speak,
)

__all__ = [
    "AUTO_ORDER", "STT_ENGINES", "TTS_ENGINES", "Segment", "SpeechToText", "TTSEngine", "TTSError",
    "Transcript", "WhisperSTT", "candidate_engines", "engine_status", "get_engine", "get_transcriber",
    "register_engine", "register_stt", "speak", "to_simplified", "transcribe", "transcribe_chunks",
    "whisper_model_dir",
]
