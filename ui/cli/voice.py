"""Voice commands: hear a line (`coach say`) and turn a recording into text (`coach transcribe`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer

from ui.cli.app import app
from ui.cli.errors import UserError


@app.command()
def say(
    text: str = typer.Argument(..., help="the line to speak"),
    lang: str = typer.Option("zh", "--lang", help="zh or en"),
    gender: str = typer.Option("female", "--gender", help="female or male"),
    persona: str = typer.Option(None, "--persona", help="persona id: the same persona always gets the same voice"),
    engine: str = typer.Option(None, "--engine", help="auto, edge, espeak or piper (default: COACH_TTS)"),
    out: Path = typer.Option(None, "--out", help="copy the audio here (else it stays in the cache)"),
) -> None:
    """Speak a customer line and print the audio file's path (WAV offline, MP3 from edge-tts).

    Example: coach say "你们的报价太高了" --lang zh --out line.wav
    """
    from coach.voice import speak
    from knowledge.settings import get_settings

    settings = get_settings()
    if engine:
        settings = settings.model_copy(update={"tts": engine})
    try:
        path = speak(text, lang, gender, persona, settings=settings)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if out is not None:
        if out.suffix.lower() != path.suffix:
            out = out.with_suffix(path.suffix)  # edge-tts gives MP3; keep the name honest about the format
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        path = out
    typer.echo(str(path))


@app.command()
def transcribe(
    audio: Path = typer.Argument(..., help="a WAV/MP3/any audio file ffmpeg can read"),
    lang: str = typer.Option("zh", "--lang", help="the scenario's language: zh or en (forced, not detected)"),
    json_out: bool = typer.Option(False, "--json", help="print the transcript with segments as JSON"),
) -> None:
    """Turn a recording into text with the bundled Whisper model (offline, CPU).

    Example: coach transcribe reply.wav --lang zh --json
    """
    if not audio.is_file():
        raise UserError(f"{audio}: no such audio file; record one or make one with `coach say ... --out FILE`")
    from coach.voice import transcribe as run_transcribe

    try:
        result = run_transcribe(audio, lang)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if json_out:
        typer.echo(json.dumps(result.model_dump(), ensure_ascii=False))
    else:
        typer.echo(result.text)
