"""All SQL of the directory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from m365bridge.cloud.directory.models import DirectoryUser, LoginFailure, UISession


def user_by_email(session: Session, email: str) -> DirectoryUser | None:
    return session.scalars(select(DirectoryUser).where(DirectoryUser.email == email.lower())).first()


def user_by_id(session: Session, user_id: str) -> DirectoryUser | None:
    return session.get(DirectoryUser, user_id)


def list_users(session: Session, tenant_id: str | None = None) -> Sequence[DirectoryUser]:
    query = select(DirectoryUser).order_by(DirectoryUser.email)
    if tenant_id is not None:
        query = query.where(DirectoryUser.tenant_id == tenant_id)
    return session.scalars(query).all()


def ui_session(session: Session, token_digest: str) -> UISession | None:
    return session.get(UISession, token_digest)


def delete_ui_session(session: Session, token_digest: str) -> None:
    session.execute(delete(UISession).where(UISession.token_digest == token_digest))


def count_login_failures(
    session: Session, since: dt.datetime, *, address: str, account: str | None = None
) -> int:
    """Failures from ``address`` since ``since`` (only those for ``account``, when given)."""
    query = select(func.count()).where(LoginFailure.address == address, LoginFailure.at >= since)
    if account is not None:
        query = query.where(LoginFailure.account == account)
    return session.scalar(query) or 0


def add_login_failure(session: Session, account: str, address: str, at: dt.datetime) -> None:
    session.add(LoginFailure(account=account, address=address, at=at))
    session.flush()


def has_login_failures(session: Session, account: str, address: str) -> bool:
    query = select(LoginFailure.id).where(LoginFailure.account == account, LoginFailure.address == address)
    return session.scalar(query.limit(1)) is not None


def delete_login_failures(session: Session, account: str, address: str) -> None:
    session.execute(
        delete(LoginFailure).where(LoginFailure.account == account, LoginFailure.address == address)
    )


def purge_login_failures(session: Session, before: dt.datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at < before))
