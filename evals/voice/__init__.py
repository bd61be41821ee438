"""Voice eval: word/character error of the bundled Whisper model on clips read by the offline TTS."""

from evals.voice.metrics import error_rate
from evals.voice.run import load_sentences, run_voice_eval

__all__ = ["error_rate", "load_sentences", "run_voice_eval"]
