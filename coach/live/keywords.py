"""Keyword cards: trainer-edited YAML (``coach/data/live_keywords.yaml``) validated into models, and a matcher.

Keywords are plain words, not regular expressions, so a trainer cannot break the matcher; English ones
match whole words in any case, Chinese ones anywhere in the sentence.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coach.live.events import CardField, KeywordCard
from knowledge.yaml_lines import compose, line_of, safe_load

DEFAULT_FILE = "live_keywords.yaml"


class KeywordFileError(ValueError):
    """The keyword file does not validate; the message names the file, line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Label(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Words(_Strict):
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    @field_validator("zh", "en")
    @classmethod
    def _not_blank(cls, words: list[str]) -> list[str]:
        if any(not w.strip() for w in words):
            raise ValueError("a keyword is empty; remove it or write the word")
        return [w.strip() for w in words]


class FieldSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Label
    extract: Literal["date", "money"] | None = None


class CardSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Label
    keywords: Words
    fields: list[FieldSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_keywords(self) -> CardSpec:
        if not self.keywords.zh and not self.keywords.en:
            raise ValueError("give at least one keyword (zh or en)")
        return self


class KeywordBook(_Strict):
    cards: list[CardSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> KeywordBook:
        seen_ids: set[str] = set()
        owner: dict[str, str] = {}
        for card in self.cards:
            if card.id in seen_ids:
                raise ValueError(f"card id {card.id!r} is used twice; give each card its own id")
            seen_ids.add(card.id)
            for word in [*card.keywords.zh, *card.keywords.en]:
                key = word.lower()
                if key in owner:
                    raise ValueError(f"keyword {word!r} opens both {owner[key]!r} and {card.id!r}; keep it in one card")
                owner[key] = card.id
        return self


def parse_keyword_text(text: str, source: str) -> KeywordBook:
    """Validate keyword-card YAML text; errors say ``source line N: field 'x': problem``."""
    try:
        node = compose(text)
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise KeywordFileError(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") \
            from None
    if not isinstance(data, dict):
        raise KeywordFileError(f"{source} line 1: expected a mapping with a 'cards' list")
    try:
        return KeywordBook.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        raise KeywordFileError(f"{source} line {line_of(node, loc)}: field '{field}': {msg}") from None


def load_keywords(path: str | Path | None = None) -> KeywordBook:
    """The trainer's keyword cards (default: the shipped ``coach/data/live_keywords.yaml``)."""
    if path is None:
        text = resources.files("coach.data").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
        return parse_keyword_text(text, f"coach/data/{DEFAULT_FILE}")
    path = Path(path)
    if not path.is_file():
        raise KeywordFileError(f"{path}: keyword file not found; copy coach/data/{DEFAULT_FILE} and edit it")
    return parse_keyword_text(path.read_text(encoding="utf-8"), str(path))


_DATE = re.compile(
    r"(\d{4}[-/年]\d{1,2}([-/月]\d{1,2}日?)?|\d{1,2}月\d{1,2}[日号]?|\d{1,2}月(底|初|中)?|下(周|个月|季度)[一二三四五六日]?|"
    r"(本|这)(周|月)[一二三四五六日底]?|月底|年底|明天|后天|"
    r"\b(next|this) (week|month|quarter|monday|tuesday|wednesday|thursday|friday)\b|"
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(st|nd|rd|th)?\b|"
    r"\b\d{1,2}(st|nd|rd|th) of [A-Za-z]+\b|\bQ[1-4]\b|\bend of (the )?(month|year|quarter)\b)",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"([¥$€£]\s?\d[\d,]*(\.\d+)?\s?(k|m|万|千|元)?|\d[\d,]*(\.\d+)?\s?(万元|万|千元|元|块|亿)|"
    r"\b\d[\d,]*(\.\d+)?\s?(dollars|usd|rmb|yuan|k)\b)",
    re.IGNORECASE,
)
_EXTRACTORS = {"date": _DATE, "money": _MONEY}


class KeywordMatcher:
    """Finds which cards an utterance opens; cheap enough for every partial utterance."""

    def __init__(self, book: KeywordBook | None = None) -> None:
        self.book = book or load_keywords()
        self._patterns: list[tuple[CardSpec, re.Pattern]] = []
        for card in self.book.cards:
            parts = [re.escape(w) for w in card.keywords.zh]
            parts += [rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])" for w in card.keywords.en]
            # longest first so 采购委员会 wins over a shorter word inside it
            parts.sort(key=len, reverse=True)
            self._patterns.append((card, re.compile("|".join(parts), re.IGNORECASE)))

    def match(self, text: str) -> list[tuple[CardSpec, re.Match]]:
        """Cards opened by ``text``, in the order their keyword appears."""
        found = [(card, m) for card, pattern in self._patterns if (m := pattern.search(text))]
        return sorted(found, key=lambda pair: pair[1].start())

    @staticmethod
    def card(spec: CardSpec, match: re.Match, text: str, lang: str) -> KeywordCard:
        """The fill-in card for one match, with date/money fields pre-filled from the sentence when found."""
        fields = []
        for f in spec.fields:
            value = ""
            if f.extract and (m := _EXTRACTORS[f.extract].search(text)):
                value = m.group(0).strip()
            fields.append(CardField(id=f.id, label=f.label.get(lang), value=value))
        return KeywordCard(keyword_id=spec.id, keyword=match.group(0), title=spec.title.get(lang), lang=lang,
                           text=text, fields=fields)
