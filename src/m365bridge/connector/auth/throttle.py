"""Brute-force protection: too many failed logins per account or per address within a window → 429."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from m365bridge.connector.auth.models import LoginFailure
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.orm import utcnow


def is_throttled(session: Session, settings: ConnectorSettings, account: str, address: str) -> bool:
    since = utcnow() - dt.timedelta(seconds=settings.lockout_window_seconds)
    by_account = session.scalar(
        select(func.count()).where(LoginFailure.account == account.lower(), LoginFailure.at >= since)
    )
    by_address = session.scalar(
        select(func.count()).where(LoginFailure.address == address, LoginFailure.at >= since)
    )
    return (by_account or 0) >= settings.lockout_account_failures or (
        by_address or 0
    ) >= settings.lockout_address_failures


def record_failure(session: Session, account: str, address: str) -> None:
    session.add(LoginFailure(account=account.lower(), address=address, at=utcnow()))
    session.flush()


def clear_account(session: Session, account: str) -> None:
    """A successful login forgets the account's failures (the address keeps its count).

    Writes only when there is something to forget: on SQLite a read transaction that turns into a write
    fails at once ("database is locked") if another connection wrote meanwhile, and every Basic-auth call
    passes here while case events are being written.
    """
    failed = LoginFailure.account == account.lower()
    if session.scalar(select(LoginFailure.id).where(failed).limit(1)) is not None:
        session.execute(delete(LoginFailure).where(failed))


def purge(session: Session, settings: ConnectorSettings) -> int:
    """Forget failures older than the window (they no longer count); returns how many went."""
    since = utcnow() - dt.timedelta(seconds=settings.lockout_window_seconds)
    result = session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    return int(getattr(result, "rowcount", 0) or 0)
