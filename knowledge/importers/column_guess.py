"""Guess which column of a turn-per-row CSV holds what, from header names in Chinese and English.

CRM exports name their columns 客户 / 内容 / 时间 / 角色 or Customer / Content / Time / Role; without a guess
each such file needed ``--map``, which the upload page cannot give. The guess is only a default: an explicit
mapping (``--map`` or the page's mapping step) always wins, and a field nobody can guess stays unmapped.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

# Per field, header names from strongest to weakest. The field's own name comes first, so a file that
# already uses our names maps to itself.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "conversation_id": (
        "conversation_id", "conversation", "dialog_id", "dialogue_id", "chat_id", "session_id", "call_id",
        "ticket_id", "thread_id", "lead_id", "customer_id", "deal_id", "deal",
        "会话id", "会话编号", "会话", "对话id", "对话编号", "通话id", "通话编号", "工单号", "线索id", "客户id",
        "客户编号", "商机id", "客户", "customer", "client",
    ),
    "timestamp": (
        "timestamp", "time", "datetime", "date", "created_at", "sent_at", "send_time",
        "时间", "发送时间", "时间戳", "日期", "创建时间", "沟通时间", "消息时间",
    ),
    "message": (
        "message", "text", "content", "body", "utterance", "transcript", "msg",
        "内容", "消息", "消息内容", "聊天内容", "对话内容", "发言内容", "沟通内容", "文本", "正文", "记录",
    ),
    "author": (
        "author", "speaker", "role", "sender", "from", "who", "party",
        "角色", "发言人", "说话人", "发送人", "发送者", "发言方", "身份", "发送方",
    ),
    "outcome": ("outcome", "result", "deal_status", "status", "stage", "结果", "成交结果", "跟进结果", "状态", "阶段"),
    "industry": ("industry", "vertical", "行业", "所属行业"),
    "segment": ("segment", "customer_segment", "tier", "客户类型", "客户分层", "客群"),
}
FIELDS: tuple[str, ...] = tuple(SYNONYMS)


def _norm(name: str) -> str:
    """Case, spaces, underscores, dashes and brackets do not matter: 'Conversation ID' == 'conversation_id'."""
    return re.sub(r"[\s_\-()（）\[\]【】:：]+", "", str(name or "").strip().lower())


_NORMED = {field: [_norm(n) for n in names] for field, names in SYNONYMS.items()}


def _score(field: str, column: str) -> int:
    """Higher is a better fit: exact names first (in synonym order), then a header containing a name."""
    col = _norm(column)
    if not col:
        return 0
    names = _NORMED[field]
    if col in names:
        return 1000 - names.index(col)
    if len(col) > 24:  # a long cell is a sentence (a header-less file's first row), not a column name
        return 0
    contained = [i for i, n in enumerate(names) if len(n) >= 2 and n in col]
    return 100 - min(contained) if contained else 0


def guess_mapping(columns: list[str], fixed: dict[str, str] | None = None) -> dict[str, str]:
    """field → column for every field a header fits; ``fixed`` entries are kept and their columns not reused.

    Each column serves one field; the best-fitting pairs are taken first.
    """
    mapping = {k: v for k, v in (fixed or {}).items() if v}
    used = set(mapping.values())
    pairs = sorted(((_score(f, c), f, c) for f in FIELDS if f not in mapping for c in columns if c not in used),
                   key=lambda p: -p[0])
    for score, field, column in pairs:
        if score <= 0:
            break
        if field in mapping or column in used:
            continue
        mapping[field] = column
        used.add(column)
    return mapping


def csv_header(path: Path) -> list[str]:
    """The header row of a CSV (decoded like the importers do); [] for an empty file."""
    from knowledge.importers.base import read_text

    text = read_text(Path(path))
    first = next(csv.reader(io.StringIO(text, newline="")), [])
    return [c.strip() for c in first]


def describe(mapping: dict[str, str], columns: list[str]) -> str:
    """'message←内容, author←角色' for a CLI note. A header that is not a known column name is shown by its
    position only: without a header row the first line is data (a name, a phone) and must not be echoed."""
    known = {n for names in _NORMED.values() for n in names}

    def name(column: str) -> str:
        return column if _norm(column) in known else f"column {columns.index(column) + 1}"

    return ", ".join(f"{field}←{name(mapping[field])}" for field in FIELDS
                     if mapping.get(field) not in (None, field) and mapping[field] in columns)
