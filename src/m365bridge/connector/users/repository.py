"""All SQL about users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from m365bridge.connector.users.models import User


def by_id(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def by_user_name(session: Session, user_name: str) -> User | None:
    return session.scalars(select(User).where(User.user_name == user_name)).one_or_none()


def by_field(session: Session, field: str, value: str, *, limit: int = 2) -> Sequence[User]:
    """Users whose ``field`` (``user_name`` or ``email``) equals ``value``; at most ``limit``."""
    column = {"user_name": User.user_name, "email": User.email}[field]
    return session.scalars(select(User).where(column == value).limit(limit)).all()


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(func.lower(User.user_name))).all()


def replace_password_hash(session: Session, user_id: str, old_hash: str, new_hash: str) -> None:
    """Store a re-hashed password, unless the password changed since ``old_hash`` was read."""
    session.execute(
        update(User).where(User.id == user_id, User.password_hash == old_hash).values(password_hash=new_hash)
    )
