"""Read each eval sentence with an offline TTS engine, transcribe it back, and score the transcripts."""

from __future__ import annotations

import sys
import time
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from coach.voice import SpeechToText, WhisperSTT, get_engine, speak, whisper_model_dir
from evals.voice.metrics import error_counts
from knowledge.settings import Settings, get_settings
from knowledge.yaml_lines import safe_load as bounded_yaml

DEFAULT_ENGINES = {"zh": "espeak", "en": "piper"}
# espeak's female Mandarin variant is the most intelligible; piper ships only a male English voice.
GENDERS = {"zh": "female", "en": "male"}
METRIC = {"zh": "cer", "en": "wer"}


class Sentences(BaseModel):
    """The eval set: sales-call lines per language."""

    zh: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)


def load_sentences(path: Path | None = None) -> Sentences:
    """Load ``sentences.yaml`` (shipped beside this module, or ``path``), naming the file on error."""
    source = path or Path(str(resources.files("evals.voice").joinpath("sentences.yaml")))
    try:
        return Sentences.model_validate(bounded_yaml(source.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"{source}: field '{field}': {first['msg']}; expected lists 'zh' and 'en' of sentences") from exc


def run_voice_eval(
    sentences: Sentences | None = None,
    engines: dict[str, str] | None = None,
    transcriber: SpeechToText | None = None,
    settings: Settings | None = None,
    progress: bool = True,
) -> dict:
    """Synthesize, transcribe and score every sentence; returns the figures and per-clip detail.

    Rates are corpus-level: total edits over total reference characters (zh) or words (en).
    """
    sentences = sentences or load_sentences()
    engines = {**DEFAULT_ENGINES, **(engines or {})}
    settings = settings or get_settings()
    report: dict = {"model": "whisper-base (int8, CPU, beam 5)", "languages": {}}
    if transcriber is None:
        started = time.perf_counter()
        model_dir = whisper_model_dir(settings)
        report["model_dir"] = str(model_dir)
        report["model_ready_seconds"] = round(time.perf_counter() - started, 3)
        transcriber = WhisperSTT(model_dir=model_dir)
    for lang in ("zh", "en"):
        engine = get_engine(engines[lang])
        forced = settings.model_copy(update={"tts": engine.name})
        clips, edits, length, audio_s, asr_s = [], 0, 0, 0.0, 0.0
        lines = getattr(sentences, lang)
        for i, ref in enumerate(lines, 1):
            path = speak(ref, lang, GENDERS[lang], settings=forced, engines={engine.name: engine})
            result = transcriber.transcribe(path, lang)
            e, n = error_counts(ref, result.text, lang)
            edits, length = edits + e, length + n
            audio_s, asr_s = audio_s + result.seconds, asr_s + result.elapsed
            clips.append({"ref": ref, "hyp": result.text, METRIC[lang]: round(e / max(n, 1), 3),
                          "audio_seconds": result.seconds})
            if progress:
                print(f"[{lang} {i}/{len(lines)}] {METRIC[lang]}={e / max(n, 1):.2f} {result.text}", file=sys.stderr)
        report["languages"][lang] = {
            "tts": f"{engine.name}:{engine.voice(lang, GENDERS[lang])}",
            "clips": len(clips),
            METRIC[lang]: round(edits / max(length, 1), 4),
            "audio_seconds": round(audio_s, 2),
            "transcribe_seconds": round(asr_s, 2),
            "real_time_factor": round(asr_s / max(audio_s, 1e-9), 3),
            "detail": clips,
        }
    return report
