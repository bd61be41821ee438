"""Write the curated sample corpus shipped as ``knowledge/data/sample_deals.jsonl``.

It is the generator's output for ``SAMPLE_SEED`` / ``SAMPLE_SIZE`` (tagged ``sample-``), refused unless it
meets the coverage requirements in ``evals.corpus.stats``. Re-run after editing the templates:
``python -m evals.corpus.curate``; then ``python -m evals.corpus.stats`` shows the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

from evals.corpus.generate import SAMPLE_SEED, SAMPLE_SIZE, generate_deals, write_jsonl
from evals.corpus.stats import corpus_stats, sample_problems


def sample_deals():
    """The curated sample, exactly as shipped."""
    return generate_deals(SAMPLE_SIZE, SAMPLE_SEED, lang_mix=0.25, prefix="sample")


def main() -> int:
    problems = sample_problems(corpus_stats(sample_deals()))
    if problems:
        print("the sample does not meet the requirements:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    from importlib import resources

    out = Path(str(resources.files("knowledge.data"))) / "sample_deals.jsonl"
    count = write_jsonl(sample_deals(), out, total=SAMPLE_SIZE, progress=False)
    print(f"wrote {count} deals to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
