"""Customer mood radar (客户情绪雷达): a running 0-1 indicator of how a call is going for the customer.

Five factors per customer utterance, averaged over the last few (recent ones weigh more):

- ``negativity``: (1 − sentiment) / 2 from the understanding layer's reading of the line (0.5 is neutral;
  warmer lines give a bonus, colder ones cost);
- ``objection``: the layer's calibrated P(objection), the pressure the customer is putting on;
- ``curtness``: very short replies (``knowledge.understanding.features.units``: characters in Chinese, words
  in English), the customer going terse;
- ``interval``: the irregularity of reply intervals (coefficient of variation), over the window;
- ``emoji``: negative emoji density (positive emoji give a small bonus) — a surface cue, not a word list;
- ``negation``: how often the customer says no (不/没/别, no/not/can't …), the understanding layer's own surface
  reading (``knowledge.understanding.features.surface``), so the radar keeps no word list of its own.

Without a reading (``reading=None``) negativity and objection count as neutral (0.5 and 0). The word-level
judgement lives in the understanding layer only; this file holds no cue list of words.
Transparent on purpose: ``parts`` shows a rep why it dropped.
"""

from __future__ import annotations

import re
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Any

from knowledge.understanding.features import SURFACE_NAMES, detect_lang, surface, units

_NEG_EMOJI = re.compile("[\U0001F612\U0001F620\U0001F621\U0001F624\U0001F644\U0001F61E\U0001F61F\U0001F623"
                        "\U0001F625\U0001F629\U0001F62B\U0001F62D\U0001F641\u2639\U0001F44E\U0001F611\U0001F610]")
_POS_EMOJI = re.compile("[\U0001F600-\U0001F60D\U0001F642\U0001F917\U0001F44D\U0001F44F\U0001F64F\u2764\U0001F389"
                        "\u263A]")
NEUTRAL_NEGATIVITY = 0.5  # sentiment 0
FACTORS = ("negativity", "objection", "curtness", "interval", "emoji", "negation")
_NEGATION = SURFACE_NAMES.index("negation")


@dataclass(frozen=True)
class MoodConfig:
    window: int = 6  # customer utterances the radar remembers
    threshold: float = 0.45  # below this the card turns into a warning
    # what each factor at full strength takes off the 0-1 value: negativity (per unit above neutral, so a line
    # at sentiment −1 costs the full weight and one at +1 gives it back), objection, curtness, interval, emoji,
    # negation.
    # A clear objection (P≈1, sentiment ≈ −0.6) costs ≈ 0.8, so with one curt push-back the radar is in the
    # warning zone; a warm line (sentiment ≈ +0.7) gives ≈ 0.4 back.
    weights: tuple[float, float, float, float, float, float] = (0.55, 0.5, 0.3, 0.25, 0.25, 0.2)
    decay: float = 0.6  # weight of an utterance relative to the one after it
    min_change: float = 0.1  # a new reading is sent only when it moved this much (or the warning flipped)
    curt_units: tuple[int, int] = (3, 2)  # at most this many Chinese characters / English words is fully curt


class MoodRadar:
    """Feed customer utterances (text, call seconds, the layer's reading); read ``value`` and ``parts``."""

    def __init__(self, config: MoodConfig | None = None) -> None:
        self.config = config or MoodConfig()
        self._rows: deque[tuple[float, float, float, float, float]] = deque(maxlen=self.config.window)
        self._times: deque[float] = deque(maxlen=self.config.window + 1)
        self.value = 1.0
        self.parts: dict[str, float] = {}

    def add(self, text: str, seconds: float | None = None, reading: Any = None) -> float:
        """One customer utterance. ``reading`` is its ``Detection`` (or anything with ``sentiment`` and
        ``p_objection``); without one, negativity and objection pressure count as neutral."""
        sentiment = _number(getattr(reading, "sentiment", None), 0.0, -1.0, 1.0)
        negativity = (1.0 - sentiment) / 2.0
        objection = _number(getattr(reading, "p_objection", None), 0.0, 0.0, 1.0)
        n = units(text)
        emoji_neg, emoji_pos = len(_NEG_EMOJI.findall(text)), len(_POS_EMOJI.findall(text))
        emoji = max(-0.5, min(1.0, (emoji_neg - 0.5 * emoji_pos) * 4 / (max(1, n) + emoji_neg + emoji_pos)))
        negation = float(surface(text)[_NEGATION]) if n else 0.0
        self._rows.append((negativity, objection, self._curtness(text, n, emoji_neg + emoji_pos), emoji, negation))
        if seconds is not None:
            self._times.append(seconds)
        return self._update()

    def _curtness(self, text: str, n: int, emoji: int) -> float:
        if n == 0:
            return 0.0 if emoji else 1.0  # an emoji alone is read by the emoji factor; silence is curt
        limit = self.config.curt_units[0] if detect_lang(text) == "zh" else self.config.curt_units[1]
        return max(0.0, min(1.0, 1.0 - (n - limit) / limit))

    def _interval_penalty(self) -> float:
        gaps = [b - a for a, b in zip(self._times, list(self._times)[1:], strict=False) if b >= a]
        if len(gaps) < 3:
            return 0.0
        mean = statistics.fmean(gaps)
        if mean <= 0:
            return 0.0
        return min(1.0, max(0.0, statistics.pstdev(gaps) / mean - 0.5))  # irregular beyond CV 0.5 costs

    def _update(self) -> float:
        # recent utterances weigh more, so the radar turns within two or three sentences
        weights = [self.config.decay ** age for age in range(len(self._rows) - 1, -1, -1)]
        total = sum(weights)
        negativity, objection, curtness, emoji, negation = (
            sum(w * r[i] for w, r in zip(weights, self._rows, strict=True)) / total for i in range(5))
        interval = self._interval_penalty()
        w = self.config.weights
        penalty = (w[0] * 2.0 * (negativity - NEUTRAL_NEGATIVITY) + w[1] * objection + w[2] * curtness
                   + w[3] * interval + w[4] * emoji + w[5] * negation)
        self.value = round(max(0.0, min(1.0, 1.0 - penalty)), 3)
        self.parts = {name: round(v, 3) for name, v in
                      zip(FACTORS, (negativity, objection, curtness, interval, emoji, negation), strict=True)}
        return self.value

    @property
    def warning(self) -> bool:
        return self.value < self.config.threshold


def _number(value: Any, default: float, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if number != number:  # NaN
        return default
    return max(low, min(high, number))
