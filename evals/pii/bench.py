"""Throughput of the Anonymizer on chat-like turns (prints figures; nothing is asserted).

Run: python -m evals.pii.bench [N]
"""

from __future__ import annotations

import json
import sys
import time

from evals.pii.runner import load_split
from knowledge.anonymize import Anonymizer, PseudonymScope


def bench(n_turns: int = 2000) -> dict:
    """Turns per second for Chinese, English and mixed turns, NER on and off, one scope per 20 turns."""
    lines = load_split("dev") + load_split("heldout")
    by_lang = {
        "zh": [x.text for x in lines if x.lang == "zh"],
        "en": [x.text for x in lines if x.lang == "en"],
        "mixed": [x.text for x in lines],
    }
    out: dict = {}
    for use_ner in (True, False):
        anonymizer = Anonymizer(mask_amounts=True, use_ner=use_ner)
        anonymizer.mask("预热：张总")  # load the NER model outside the timing
        for lang, texts in by_lang.items():
            turns = [texts[i % len(texts)] for i in range(n_turns)]
            start = time.perf_counter()
            scope = PseudonymScope()
            for i, text in enumerate(turns):
                if i % 20 == 0:
                    scope = PseudonymScope()
                anonymizer.mask(text, scope)
            secs = time.perf_counter() - start
            out[f"{lang}{'' if use_ner else '_no_ner'}"] = {
                "turns": n_turns, "seconds": round(secs, 3), "turns_per_s": round(n_turns / secs, 1),
                "avg_chars": round(sum(map(len, turns)) / n_turns, 1),
            }
    return out


if __name__ == "__main__":
    print(json.dumps(bench(int(sys.argv[1]) if len(sys.argv) > 1 else 2000), indent=2))
