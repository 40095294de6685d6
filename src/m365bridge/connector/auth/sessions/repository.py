"""All SQL about UI sessions and failed logins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from m365bridge.connector.auth.sessions.models import LoginFailure, UISession


def session_by_digest(session: Session, digest: str) -> UISession | None:
    return session.scalars(select(UISession).where(UISession.token_digest == digest)).first()


def delete_session(session: Session, digest: str) -> None:
    session.execute(delete(UISession).where(UISession.token_digest == digest))


def delete_user_sessions(session: Session, user_id: str) -> None:
    session.execute(delete(UISession).where(UISession.user_id == user_id))


def delete_sessions_idle_since(session: Session, cutoff: dt.datetime) -> int:
    result = session.execute(delete(UISession).where(UISession.last_seen_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def count_failures(session: Session, since: dt.datetime, address: str, account: str | None = None) -> int:
    """Failed logins from ``address`` since ``since``; only those for ``account`` when given."""
    query = select(func.count()).where(LoginFailure.address == address, LoginFailure.at >= since)
    if account is not None:
        query = query.where(LoginFailure.account == account)
    return session.scalar(query) or 0


def has_failures(session: Session, account: str, address: str) -> bool:
    pair = (LoginFailure.account == account, LoginFailure.address == address)
    return session.scalar(select(LoginFailure.id).where(*pair).limit(1)) is not None


def delete_failures(session: Session, account: str, address: str) -> None:
    session.execute(
        delete(LoginFailure).where(LoginFailure.account == account, LoginFailure.address == address)
    )


def delete_failures_before(session: Session, before: dt.datetime) -> int:
    result = session.execute(delete(LoginFailure).where(LoginFailure.at < before))
    return int(getattr(result, "rowcount", 0) or 0)
