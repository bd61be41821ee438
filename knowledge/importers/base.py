"""What every importer shares: the interface, the registry, bad-row reports, text decoding and guesses.

Importers never stop a whole file for one bad row: they yield an :class:`ImportIssue` naming the file and
line and carry on. Issue messages name fields and problems but never quote row content, because a raw
row may hold personal data that must not reach a log before anonymization.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from knowledge.records import DealRecord
from knowledge.taxonomy import Speaker


class ImportIssue(BaseModel):
    """One bad row: where it is and what is wrong with it (never the row's content)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ImportFileError(ValueError):
    """The whole file cannot be read (missing, undecodable, unknown format); says what to do."""


Parsed = tuple[int, DealRecord]
ImportItem = Parsed | ImportIssue


class Importer(ABC):
    """Reads one file into deal records. ``options`` carries importer-specific choices (mapping, rep names)."""

    name: str = "importer"
    extensions: tuple[str, ...] = ()

    def sniff(self, path: Path, head: str) -> bool:
        """True when this importer recognises the file from its first few KB (used for auto-detection)."""
        return False

    @abstractmethod
    def read(self, path: Path, options: dict | None = None) -> Iterator[ImportItem]:
        """Yield ``(line_number, DealRecord)`` for each deal, or an ``ImportIssue`` for each bad row."""


_REGISTRY: dict[str, Callable[[], Importer]] = {}


def register_importer(name: str):
    def wrap(factory: Callable[[], Importer]):
        _REGISTRY[name] = factory
        return factory
    return wrap


def importer_names() -> list[str]:
    return list(_REGISTRY)


def get_importer(name: str) -> Importer:
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ImportFileError(f"unknown format {name!r}; use one of: {', '.join(_REGISTRY)}") from None


def read_text(path: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM) first, then GB18030 (covers GBK/GB2312 exports)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read ({exc.strerror})") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(f"{path}: not UTF-8 or GBK/GB18030 text; re-save it as UTF-8 and retry")


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_lang(text: str) -> str:
    """'zh' when Chinese characters make up a fair share of the letters, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk and cjk * 3 >= latin * 0.5 else "en"


# A few unambiguous words per industry; used only when the source does not say which industry it is.
_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "insurance": ("insurance", "premium", "policy", "deductible", "保险", "保单", "保费"),
    "saas": ("saas", "subscription", "crm", "软件", "系统账号", "订阅"),
    "medical_devices": ("medical device", "hospital", "医疗器械", "医院", "科室"),
    "education": ("course", "tuition", "课程", "学员", "培训班"),
    "building_materials": ("tiles", "cement", "建材", "瓷砖", "水泥"),
    "cross_border_ecommerce": ("amazon", "shopify", "跨境", "亚马逊"),
}


def guess_industry(text: str) -> str:
    """The industry whose words clearly dominate the text, else 'unknown'."""
    low = text.lower()
    counts = {name: sum(low.count(w) for w in words) for name, words in _INDUSTRY_WORDS.items()}
    best = max(counts, key=counts.get)
    ranked = sorted(counts.values(), reverse=True)
    return best if ranked[0] >= 3 and ranked[0] >= 2 * ranked[1] else "unknown"


_REP = {"agent", "rep", "sales", "salesperson", "seller", "advisor", "销售", "客服", "顾问", "业务员", "销售顾问"}
_CUSTOMER = {"customer", "client", "buyer", "user", "prospect", "客户", "顾客", "买家", "用户"}
_OTHER = {"other", "system", "bot", "系统", "其他"}


def map_speaker(value: str) -> Speaker | None:
    """Map an author/role cell (Agent, Customer, rep, 客户, …) to a speaker, or None when unknown."""
    key = value.strip().lower()
    if key in _REP:
        return "rep"
    if key in _CUSTOMER:
        return "customer"
    if key in _OTHER:
        return "other"
    return None


def map_outcome(text: str | None) -> str:
    """Free-text outcome → won / lost / open ('buy' is won, 'not interested'/'ineligible' lost, pauses open)."""
    low = (text or "").strip().lower()
    if not low:
        return "open"
    if low in {"won", "win", "buy", "bought", "closed won", "成交", "赢单", "签约", "已签约"} or "buy" in low.split():
        return "won"
    lost_words = ("not interested", "ineligible", "not handled", "lost", "closed lost", "输单", "丢单", "流失", "拒绝")
    if any(w in low for w in lost_words):
        return "lost"
    return "open"


def parse_time(value: str | None) -> datetime | None:
    """Parse common timestamp shapes (ISO, 2026/1/15 10:02[:33]); None when empty or not understood."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as 'field: problem; …' without echoing the offending input."""
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"field '{loc}': {err['msg']}")
    return "; ".join(parts)
