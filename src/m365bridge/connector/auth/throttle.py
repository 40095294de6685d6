"""Brute-force protection: too many failed logins within a window → 429.

Failures count per (account, address) and per address, never per account alone: otherwise anyone could
lock an account (the integration's included) by failing its password from anywhere. One address guessing
one account's password, or spraying many accounts, is still stopped. Guessing one account from many
addresses is not counted across them: that is left to the password's strength and argon2's cost (see
docs/security.md).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from m365bridge.connector.auth.models import LoginFailure
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.orm import utcnow


def is_throttled(session: Session, settings: ConnectorSettings, account: str, address: str) -> bool:
    since = utcnow() - dt.timedelta(seconds=settings.lockout_window_seconds)
    recent = LoginFailure.at >= since
    by_pair = session.scalar(
        select(func.count()).where(
            LoginFailure.account == account.lower(), LoginFailure.address == address, recent
        )
    )
    by_address = session.scalar(select(func.count()).where(LoginFailure.address == address, recent))
    return (by_pair or 0) >= settings.lockout_account_failures or (
        by_address or 0
    ) >= settings.lockout_address_failures


def has_failures(session: Session, account: str, address: str) -> bool:
    """Whether ``account`` has failures on record from ``address`` (then a success has some to forget)."""
    pair = (LoginFailure.account == account.lower(), LoginFailure.address == address)
    return session.scalar(select(LoginFailure.id).where(*pair).limit(1)) is not None


def record_failure(session: Session, account: str, address: str) -> None:
    session.add(LoginFailure(account=account.lower(), address=address, at=utcnow()))
    session.flush()


def clear(session: Session, account: str, address: str) -> None:
    """A successful login forgets the account's failures from that address (other addresses keep theirs)."""
    session.execute(
        delete(LoginFailure).where(LoginFailure.account == account.lower(), LoginFailure.address == address)
    )


def purge(session: Session, settings: ConnectorSettings) -> int:
    """Forget failures older than the window (they no longer count); returns how many went."""
    since = utcnow() - dt.timedelta(seconds=settings.lockout_window_seconds)
    result = session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    return int(getattr(result, "rowcount", 0) or 0)
