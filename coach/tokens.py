"""API tokens for integrations (a dialer, a call recorder, a CRM) that call the live-hint API without a user.

An admin creates one per integration with ``coach tokens add NAME``; the token is shown once and only its
SHA-256 is stored (a token is 256 random bits, so a fast hash is safe: nothing to brute-force, unlike a
password). ``coach tokens revoke NAME`` stops it at once. The table comes with a named migration that
``coach.database`` applies with the others.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Field, SQLModel, select

from knowledge.db import Migration, apply_migrations, get_engine, session, utcnow

PREFIX = "ct_"
LAST_USED_EVERY = timedelta(minutes=5)  # record use at most this often: a live call must not write per event


class TokenError(ValueError):
    """A bad token name, a duplicate, or an unknown token to revoke; the message says which."""


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    token_hash: str = Field(index=True, unique=True)  # sha256 hex of the whole token
    shown: str = ""  # the first characters, so an admin can tell tokens apart in a list
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def _create(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine, tables=[ApiToken.__table__])


MIGRATIONS: list[Migration] = [("0250_api_tokens", _create)]
_ready: set[str] = set()


def ensure_tables() -> None:
    """Apply this module's migration once per database (coach.database applies it too; the name is recorded)."""
    engine = get_engine()
    key = str(engine.url)
    if key not in _ready:
        apply_migrations(engine, MIGRATIONS)
        _ready.add(key)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="replace")).hexdigest()


def add_token(name: str, created_by: str = "") -> tuple[ApiToken, str]:
    """Create a token for integration ``name``; returns the row and the token (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("give the integration a name of 1-100 characters, e.g. coach tokens add dialer-east")
    ensure_tables()
    with session() as db:
        taken = db.exec(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))).first()
        if taken is not None:
            raise TokenError(f"an active token named {name!r} exists; revoke it first or choose another name")
        token = PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(name=name, token_hash=_digest(token), shown=token[:9], created_by=created_by)
        db.add(row)
        db.commit()
        db.refresh(row)
    return row, token


def list_tokens() -> list[ApiToken]:
    ensure_tables()
    with session() as db:
        return list(db.exec(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(name_or_id: str) -> list[ApiToken]:
    """Revoke the active token(s) with this name, or the token with this id; returns those revoked."""
    ensure_tables()
    with session() as db:
        query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
        rows = list(db.exec(query.where(ApiToken.name == name_or_id)))
        if not rows and name_or_id.isdigit():
            rows = list(db.exec(query.where(ApiToken.id == int(name_or_id))))
        if not rows:
            raise TokenError(f"no active token named {name_or_id!r}; see coach tokens list")
        for row in rows:
            row.revoked_at = utcnow()
            db.add(row)
        db.commit()
        return rows


def verify_token(token: str | None) -> ApiToken | None:
    """The active token row for ``token``, else None (unknown, revoked, or not a coach token)."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    ensure_tables()
    wanted = _digest(token)
    with session() as db:
        row = db.exec(select(ApiToken).where(ApiToken.token_hash == wanted)).first()
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, wanted):
            return None
        now = utcnow()
        last = row.last_used_at
        if last is not None and last.tzinfo is None:  # SQLite hands back naive datetimes
            last = last.replace(tzinfo=now.tzinfo)
        if last is None or now - last > LAST_USED_EVERY:
            row.last_used_at = now
            db.add(row)
            db.commit()
        return row
