"""Users and sign-in: bcrypt-hashed passwords, roles, teams and assigned mentors."""

from __future__ import annotations

import bcrypt
from sqlmodel import select

from coach.tables import ROLES, User
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
    if len(password) < 4:
        raise UserError("password must have at least 4 characters")
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


def get_user(username: str) -> User | None:
    with session() as db:
        return db.exec(select(User).where(User.username == username)).first()


def list_users() -> list[User]:
    with session() as db:
        return list(db.exec(select(User).order_by(User.id)))


def authenticate(username: str, password: str) -> User | None:
    """The user when the password matches, else None (same answer for unknown user and bad password)."""
    user = get_user(username.strip())
    if user and check_password(password, user.password_hash):
        return user
    return None


DEMO_USERS = [
    # username, password, roles, team, mentor, display name
    ("mentor", "mentor123", "mentor", "east", None, "王导师"),
    ("trainer", "trainer123", "trainer", "east", None, "培训师"),
    ("trainee", "trainee123", "trainee", "east", "mentor", "小李"),
    ("trainee2", "trainee123", "trainee", "east", "mentor", "小陈"),
    ("rep", "rep123", "trainee", "east", "mentor", "Sam"),
    ("admin", "admin123", "admin,mentor,trainer", "east", None, "Admin"),
]


def ensure_demo_users() -> list[str]:
    """Create the demo users named in the README if they are missing; returns the ones created."""
    created = []
    for username, password, roles, team, mentor, display in DEMO_USERS:
        if get_user(username) is None:
            add_user(username, password, roles, team, mentor, display)
            created.append(username)
    return created
