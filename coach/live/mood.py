"""Customer mood radar (客户情绪雷达): a running 0-1 indicator from cheap surface cues of customer turns.

Four factors, each a penalty in [0, 1] averaged over the last few customer utterances (recent ones weigh more): negation
frequency, hedging words, the irregularity of reply intervals (coefficient of variation), and negative
emoji density (positive emoji give a small bonus). Transparent on purpose: a rep can see why it dropped.
"""

from __future__ import annotations

import re
import statistics
from collections import deque
from dataclasses import dataclass

_NEGATION = re.compile(
    r"不|没|别|无法|未必|算了|"
    r"\b(no|not|never|nope|nothing|none|can't|cannot|won't|don't|doesn't|didn't|isn't|aren't|wasn't|shouldn't|"
    r"wouldn't|couldn't|hardly)\b|n't\b",
    re.IGNORECASE,
)
# Idioms that contain a negation but say yes: removed before counting.
_POSITIVE_NEGATIONS = re.compile(
    r"没问题|不错|没关系|不客气|不用谢|不见不散|\b(no problem|not bad|no worries|why not|of course not a problem)\b",
    re.IGNORECASE,
)
_HEDGES = re.compile(
    r"可能|也许|或许|再说|再看看|考虑(一下|考虑)?|研究(一下|研究)?|不一定|不确定|回头|到时候|看情况|差不多吧|"
    r"\b(maybe|perhaps|probably|possibly|i guess|i suppose|not sure|we'll see|kind of|sort of|i don't know|"
    r"let me think|think about it|get back to you|later)\b",
    re.IGNORECASE,
)
_NEG_EMOJI = re.compile("[\U0001F612\U0001F620\U0001F621\U0001F624\U0001F644\U0001F61E\U0001F61F\U0001F623"
                        "\U0001F625\U0001F629\U0001F62B\U0001F62D\U0001F641\u2639\U0001F44E\U0001F611\U0001F610]")
_POS_EMOJI = re.compile("[\U0001F600-\U0001F60D\U0001F642\U0001F917\U0001F44D\U0001F44F\U0001F64F\u2764\U0001F389"
                        "\u263A]")
_UNITS = re.compile(r"[\u4e00-\u9fff]|[A-Za-z']+")


@dataclass(frozen=True)
class MoodConfig:
    window: int = 6  # customer utterances the radar remembers
    threshold: float = 0.45  # below this the card turns into a warning
    weights: tuple[float, float, float, float] = (0.35, 0.25, 0.2, 0.2)  # negation, hedging, interval, emoji
    decay: float = 0.6  # weight of an utterance relative to the one after it
    min_change: float = 0.1  # a new reading is sent only when it moved this much (or the warning flipped)


class MoodRadar:
    """Feed customer utterances (text, call seconds); read ``value`` and ``parts``."""

    def __init__(self, config: MoodConfig | None = None) -> None:
        self.config = config or MoodConfig()
        self._rows: deque[tuple[float, float, float]] = deque(maxlen=self.config.window)
        self._times: deque[float] = deque(maxlen=self.config.window + 1)
        self.value = 1.0
        self.parts: dict[str, float] = {}

    def add(self, text: str, seconds: float | None = None) -> float:
        units = max(1, len(_UNITS.findall(text)))
        negation = min(1.0, len(_NEGATION.findall(_POSITIVE_NEGATIONS.sub(" ", text))) * 6 / units)
        hedging = min(1.0, len(_HEDGES.findall(text)) * 5 / units)
        neg_emoji, pos_emoji = len(_NEG_EMOJI.findall(text)), len(_POS_EMOJI.findall(text))
        emoji = max(-0.5, min(1.0, (neg_emoji - 0.5 * pos_emoji) * 4 / (units + neg_emoji + pos_emoji)))
        self._rows.append((negation, hedging, emoji))
        if seconds is not None:
            self._times.append(seconds)
        return self._update()

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
        negation, hedging, emoji = (sum(w * r[i] for w, r in zip(weights, self._rows, strict=True)) / total
                                    for i in range(3))
        interval = self._interval_penalty()
        w = self.config.weights
        penalty = w[0] * negation + w[1] * hedging + w[2] * interval + w[3] * emoji
        # the factors rarely all peak together: scale so two strong factors already reach the warning zone
        self.value = round(max(0.0, min(1.0, 1.0 - 1.6 * penalty)), 3)
        self.parts = {"negation": round(negation, 3), "hedging": round(hedging, 3),
                      "interval": round(interval, 3), "emoji": round(emoji, 3)}
        return self.value

    @property
    def warning(self) -> bool:
        return self.value < self.config.threshold
