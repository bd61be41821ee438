"""`python -m evals.voice`: speech-to-text error rates on TTS-read sales lines, printed as JSON."""

from __future__ import annotations

import argparse
import json

from evals.voice.run import run_voice_eval


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.voice", description=__doc__)
    parser.add_argument("--zh-engine", default="espeak", help="TTS engine that reads the Chinese lines")
    parser.add_argument("--en-engine", default="piper", help="TTS engine that reads the English lines")
    parser.add_argument("--brief", action="store_true", help="omit per-clip detail")
    args = parser.parse_args(argv)
    report = run_voice_eval(engines={"zh": args.zh_engine, "en": args.en_engine})
    if args.brief:
        for figures in report["languages"].values():
            figures.pop("detail")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
