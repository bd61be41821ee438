"""Cue hits: one substring test or one alternation per group must say exactly what trying each pattern says."""

import json
import re

import numpy as np

from knowledge.understanding.features import CueSet
from knowledge.understanding.loader import artefact_path


def _one_by_one(cues: CueSet, text: str) -> np.ndarray:
    return np.array([float(any(re.search(p, text, re.IGNORECASE) for p in group)) for group in cues.patterns],
                    dtype=np.float32)


def test_grouped_hits_match_pattern_by_pattern_on_plain_phrases_and_patterns():
    cues = CueSet(("price", "boss", "empty"),
                  (("太贵", "Too expensive", r"便宜(点|些|一点)", r"\bprices?\b"), ("老板", r"(my )?boss"), ()))
    for text, expected in [("这个太贵了", [1, 0, 0]), ("能便宜点吗", [1, 0, 0]), ("TOO EXPENSIVE for us", [1, 0, 0]),
                           ("What are your PRICES?", [1, 0, 0]), ("priceless", [0, 0, 0]),
                           ("我得问问老板", [0, 1, 0]), ("Let me ask My Boss", [0, 1, 0]), ("", [0, 0, 0])]:
        assert cues.hits(text).tolist() == expected, text
        assert np.array_equal(cues.hits(text), _one_by_one(cues, text))


def test_the_shipped_cues_read_zh_and_en_lines_as_pattern_by_pattern():
    with np.load(artefact_path(), allow_pickle=False) as data:  # only the shipped artefact's cue list is needed
        cues = CueSet.from_json(json.loads(str(data["meta"]))["cues"])
    lines = ["价格太贵了，能不能便宜点", "我们已经在用金蝶了", "老板说下个季度再考虑", "亲，今天下单今天发哦",
             "Your price is way too steep.", "We're already using SALESFORCE.", "My boss signs off on this.",
             "Sounds good, let's book Tuesday.", "ok thanks", "滚"]
    for text in lines:
        assert np.array_equal(cues.hits(text), _one_by_one(cues, text)), text
    assert cues.hits(lines[0]).sum() >= 1 and cues.hits(lines[4]).sum() >= 1  # the shipped cues do fire
