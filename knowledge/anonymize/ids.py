"""Identifiers that carry personal data: a phone number or a name used as a conversation id becomes a keyed hash.

A deal id is stored in the database, in both indexes and in the ingest journal, so an id like ``13812345678``
or ``王芳-0312`` would leak there unmasked. Such ids are replaced by ``deal-<HMAC-SHA256>``: stable (re-ingest
finds the same deal again) but not reversible, and keyed with a secret kept under COACH_HOME (0600) because a
plain hash of an 11-digit phone number is found by trying them all. Ids with no personal data stay readable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

_LONG_DIGITS = re.compile(r"\d{7,}")  # phone, QQ, ID and card numbers all have runs this long
_DATE = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")  # 20240305 in "sample-20240305-1"
_CJK = re.compile(r"[\u3400-\u9fff]")  # ids with Chinese in them are usually names (王芳-0312, 客户张伟)
_CONTACT = re.compile(r"@|\+\d")


def _key_file() -> Path:
    from knowledge.settings import get_settings

    return get_settings().coach_home / "secrets" / "id-key"


@lru_cache(maxsize=4)
def _key(path: str) -> bytes:
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return file.read_bytes()
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return file.read_bytes()


def hashed_id(value: str) -> str:
    """``deal-`` and 16 hex digits of HMAC-SHA256(installation key, value)."""
    digest = hmac.new(_key(str(_key_file())), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"deal-{digest[:16]}"


def needs_hashing(value: str, detect: Callable[[str], list] | None = None) -> bool:
    """Whether an id may hold personal data: a long digit run, Chinese text, a contact, or anything the
    anonymizer's detectors find in it."""
    if any(not _DATE.fullmatch(run) for run in _LONG_DIGITS.findall(value)):
        return True
    if _CJK.search(value) or _CONTACT.search(value):
        return True
    return bool(detect and any(getattr(s, "kind", "") != "placeholder" for s in detect(value)))


def safe_deal_id(value: str, detect: Callable[[str], list] | None = None) -> str:
    """The id to store: ``value`` itself when it holds no personal data, else its keyed hash."""
    return hashed_id(value) if needs_hashing(value, detect) else value
