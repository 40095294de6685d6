"""All SQL about authorization codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from m365bridge.connector.auth.authcode.models import AuthorizationCode


def add(session: Session, code: AuthorizationCode) -> None:
    session.add(code)
    session.flush()


def claim(session: Session, digest: str, now: dt.datetime) -> bool:
    """Mark a live, unspent code spent; of concurrent claims exactly one gets ``True``."""
    claimed = session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.code_digest == digest,
            AuthorizationCode.used_at.is_(None),
            AuthorizationCode.expires_at > now,
        )
        .values(used_at=now)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def by_digest(session: Session, digest: str) -> AuthorizationCode | None:
    return session.scalars(select(AuthorizationCode).where(AuthorizationCode.code_digest == digest)).first()


def delete_expired(session: Session, before: dt.datetime) -> int:
    """Codes that expired before ``before`` (kept a while after expiry so that a late replay is still
    recognised as one and revokes what the code was exchanged for)."""
    result = session.execute(
        delete(AuthorizationCode).where(
            or_(AuthorizationCode.expires_at <= before, AuthorizationCode.used_at <= before)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
