"""Users and sign-in: bcrypt-hashed passwords, roles, teams, assigned mentors, disabled accounts; every password
check goes through `sign_in` (throttled by coach/login_throttle.py, one audit row per failure)."""

from __future__ import annotations

import hashlib
import math
import secrets
from functools import lru_cache

import bcrypt
from sqlmodel import select

from coach.tables import ROLES, AuditLog, User
from knowledge.db import session


class UserError(ValueError):
    """A bad username, role or password; the message says which."""


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


def add_user(username: str, password: str, roles: str = "trainee", team: str = "default",
             mentor: str | None = None, display_name: str = "", lang: str = "zh") -> User:
    """Create a user; roles is a comma list of trainee, mentor, trainer, admin."""
    username = username.strip()
    if not username:
        raise UserError("username is empty")
    _check_password_rules(password)
    wanted = [r.strip() for r in roles.split(",") if r.strip()]
    unknown = [r for r in wanted if r not in ROLES]
    if unknown or not wanted:
        raise UserError(f"unknown role(s) {unknown or roles!r}; choose from {', '.join(ROLES)}")
    with session() as db:
        if db.exec(select(User).where(User.username == username)).first():
            raise UserError(f"user {username!r} already exists")
        mentor_id = None
        if mentor:
            mentor_user = db.exec(select(User).where(User.username == mentor)).first()
            if mentor_user is None:
                raise UserError(f"mentor {mentor!r} does not exist; add them first")
            mentor_id = mentor_user.id
        user = User(username=username, display_name=display_name or username, roles=",".join(wanted),
                    team=team, mentor_id=mentor_id, password_hash=hash_password(password), lang=lang)
        db.add(user)
        db.commit()
        db.refresh(user)
        return user


def _check_password_rules(password: str) -> None:
    if len(password) < 4:
        raise UserError("password must have at least 4 characters")


def get_user(username: str) -> User | None:
    with session() as db:
        return db.exec(select(User).where(User.username == username)).first()


def list_users() -> list[User]:
    with session() as db:
        return list(db.exec(select(User).order_by(User.id)))


DISABLED = "!"  # a password hash starting with this cannot sign in (as in /etc/shadow); the rest is kept


class SignInRefused(UserError):
    """A refused sign-in: ``reason`` is ``bad_credentials`` (one answer for unknown user and wrong password)
    or ``locked`` (too many failures; ``retry_after`` seconds to wait)."""

    def __init__(self, reason: str, retry_after: float = 0.0) -> None:
        self.reason = reason
        self.retry_after = retry_after
        if reason == "locked":
            minutes = max(1, math.ceil(retry_after / 60))
            message = f"too many failed sign-ins; try again in {minutes} minute(s)"
        else:
            message = "unknown user or wrong password"
        super().__init__(message)


def is_disabled(user: User) -> bool:
    return user.password_hash.startswith(DISABLED)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown names so they cost the same bcrypt work as real ones."""
    return hash_password(secrets.token_urlsafe(16))


def _keys(username: str, address: str | None) -> tuple[str, ...]:
    # the database URL is part of the key: two databases (or two tests) never share counts
    from knowledge.settings import get_settings

    scope = get_settings().db_url
    keys = (f"user:{scope}|{username.casefold()}",)
    return keys + ((f"addr:{scope}|{address}",) if address else ())


def _audit_failure(username: str, user: User | None, reason: str, address: str | None) -> None:
    """One audit row per failed sign-in. An unknown name is stored as a short hash: people type passwords
    into the name box, and those must not land in the log."""
    name = username if user else "unknown:" + hashlib.sha256(username.encode()).hexdigest()[:10]
    with session() as db:
        db.add(AuditLog(action="login_failed", target=f"user:{name}"[:200],
                        comment=f"reason={reason}; address={address or '-'}"))
        db.commit()


def sign_in(username: str, password: str, address: str | None = None) -> User:
    """Check a password through the throttle; the user, or ``SignInRefused`` saying why (and how long to wait).

    Every caller that checks a password (the web sign-in, HTTP Basic, API credentials) comes through here, so
    each gets the same backoff, lockout and audit line. Unknown names cost one bcrypt check like known ones."""
    from coach.login_throttle import get_throttle

    username = (username or "").strip()
    throttle = get_throttle()
    keys = _keys(username, address)
    verdict = throttle.check(*keys)
    if not verdict.allowed:
        if verdict.first_refusal:
            _audit_failure(username, get_user(username), "locked" if verdict.locked else "backoff", address)
        raise SignInRefused("locked", verdict.wait)
    user = get_user(username) if username else None
    if user is None:
        check_password(password, _dummy_hash())
        reason = "unknown_user"
    else:
        good = check_password(password, user.password_hash.removeprefix(DISABLED))
        if good and not is_disabled(user):
            throttle.succeeded(keys[0])
            return user
        reason = "disabled" if good else "bad_password"
    throttle.failed(*keys)
    _audit_failure(username, user, reason, address)
    raise SignInRefused("bad_credentials")


def authenticate(username: str, password: str, address: str | None = None) -> User | None:
    """The user when the password matches, else None (same answer for unknown user, bad password, disabled
    account and a throttled attempt). Use ``sign_in`` to learn why and how long to wait."""
    try:
        return sign_in(username, password, address)
    except SignInRefused:
        return None


def _require(db, username: str) -> User:
    user = db.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise UserError(f"user {username!r} does not exist; see `coach users list`")
    return user


def set_password(username: str, password: str) -> User:
    """Give a user a new password (a disabled user stays disabled)."""
    _check_password_rules(password)
    with session() as db:
        user = _require(db, username)
        mark = DISABLED if is_disabled(user) else ""
        user.password_hash = mark + hash_password(password)
        db.add(user)
        db.commit()
        db.refresh(user)
        return user


def set_disabled(username: str, disabled: bool = True) -> User:
    """Disable (no sign-in anywhere; history kept) or enable a user again."""
    with session() as db:
        user = _require(db, username)
        bare = user.password_hash.removeprefix(DISABLED)
        user.password_hash = (DISABLED + bare) if disabled else bare
        db.add(user)
        db.commit()
        db.refresh(user)
        return user


def remove_user(username: str) -> None:
    """Delete a user who has no history; one with sessions, reviews or trainees is refused (disable them)."""
    from sqlalchemy.exc import IntegrityError

    with session() as db:
        user = _require(db, username)
        db.delete(user)
        try:
            db.commit()
        except IntegrityError as exc:
            db.rollback()
            raise UserError(f"user {username!r} has practice sessions, reviews or trainees that refer to them; "
                            f"keep the history and block sign-in with `coach users disable {username}`") from exc


DEMO_USERS = [
    # username, password, roles, team, mentor, display name
    ("mentor", "mentor123", "mentor", "east", None, "王导师"),
    ("trainer", "trainer123", "trainer", "east", None, "培训师"),
    ("trainee", "trainee123", "trainee", "east", "mentor", "小李"),
    ("trainee2", "trainee123", "trainee", "east", "mentor", "小陈"),
    ("rep", "rep123", "trainee", "east", "mentor", "Sam"),
    ("admin", "admin123", "admin,mentor,trainer", "east", None, "Admin"),
]


def create_demo_users() -> list[str]:
    """Create the README demo users that are missing (``coach init --demo``); returns the ones created."""
    created = []
    for username, password, roles, team, mentor, display in DEMO_USERS:
        if get_user(username) is None:
            add_user(username, password, roles, team, mentor, display)
            created.append(username)
    return created


def ensure_demo_users() -> list[str]:
    """On a database with no users at all (a fresh home on a laptop), the demo users, so terminal commands
    such as ``coach practice`` work out of the box; once anyone exists, nothing (a removed demo account never
    comes back). ``coach serve`` never calls this, and refuses a non-loopback address while demo passwords last."""
    if list_users():
        return []
    return create_demo_users()


def demo_passwords_in_use() -> list[str]:
    """Demo accounts that can still sign in with their published README password."""
    weak = []
    for username, password, *_ in DEMO_USERS:
        user = get_user(username)
        if user is not None and not is_disabled(user) and check_password(password, user.password_hash):
            weak.append(username)
    return weak
