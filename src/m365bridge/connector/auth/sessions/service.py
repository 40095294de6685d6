"""UI sessions, password checks and the brute-force throttle.

Sessions: an opaque cookie token, stored as a digest, ended by logout or idleness. The CSRF token is derived
from the session token (HMAC), so it is bound to the session, changes when the session is rotated at login,
and needs no storage of its own.

Throttle: too many failed logins within a window → 429. Failures count per (account, address) and per
address, never per account alone: otherwise anyone could lock an account (the integration's included) by
failing its password from anywhere. One address guessing one account's password, or spraying many accounts,
is still stopped. Guessing one account from many addresses is not counted across them: that is left to the
password's strength and argon2's cost (see docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from m365bridge.connector.auth.principal import Method, Principal
from m365bridge.connector.auth.sessions import repository
from m365bridge.connector.auth.sessions.models import ACCOUNT_LENGTH, LoginFailure, UISession
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import repository as users
from m365bridge.connector.users.models import User
from m365bridge.connector.users.service import can_sign_in, password_matches, upgraded_hash
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.tokens import new_token, token_digest

SESSION_COOKIE = "m365bridge_session"
LOGIN_CSRF_COOKIE = "m365bridge_login"
# Writing last_seen_at on every request would serialise page loads on SQLite; a minute is precise enough.
_TOUCH_EVERY = dt.timedelta(seconds=60)


def csrf_token_for(secret: str, purpose: str = "session") -> str:
    return hmac.new(secret.encode(), f"csrf:{purpose}".encode(), hashlib.sha256).hexdigest()


def csrf_matches_token(expected: str, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(expected.encode(), (submitted or "").encode())


def open_session(session: Session, user: User) -> str:
    """A fresh session for ``user``; returns the token for the cookie (never stored in clear)."""
    token = new_token()
    session.add(UISession(token_digest=token_digest(token), user_id=user.id))
    session.flush()
    return token


def find_session(session: Session, token: str, idle_minutes: int) -> tuple[UISession, User] | None:
    """The live session and its user, or ``None`` if unknown, idle too long, or the user can't sign in."""
    row = repository.session_by_digest(session, token_digest(token))
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > dt.timedelta(minutes=idle_minutes):
        session.delete(row)
        return None
    user = users.by_id(session, row.user_id)
    if user is None or not user.active or user.locked or user.web_service_access_only:
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def end_session(session: Session, token: str) -> None:
    repository.delete_session(session, token_digest(token))


def purge_idle(session: Session, idle_minutes: int) -> int:
    """Delete sessions idle for longer than ``idle_minutes`` (they could not be used any more)."""
    return repository.delete_sessions_idle_since(session, utcnow() - dt.timedelta(minutes=idle_minutes))


def is_throttled(session: Session, settings: ConnectorSettings, account: str, address: str) -> bool:
    since = utcnow() - dt.timedelta(seconds=settings.lockout_window_seconds)
    by_pair = repository.count_failures(session, since, address, failure_key(account))
    by_address = repository.count_failures(session, since, address)
    return by_pair >= settings.lockout_account_failures or by_address >= settings.lockout_address_failures


def failure_key(account: str) -> str:
    """The account a failure is counted under: case-folded, and cut to the column, since a caller may send a
    user name of any length (no such long name can be a user's, so cutting merges nothing real)."""
    return account.lower()[:ACCOUNT_LENGTH]


def record_failure(session: Session, account: str, address: str) -> None:
    session.add(LoginFailure(account=failure_key(account), address=address, at=utcnow()))
    session.flush()


def purge_failures(session: Session, settings: ConnectorSettings) -> int:
    """Forget failures older than the window (they no longer count); returns how many went."""
    return repository.delete_failures_before(
        session, utcnow() - dt.timedelta(seconds=settings.lockout_window_seconds)
    )


@dataclass(frozen=True)
class PasswordRefused:
    """Why a password check failed: ``status_code`` 429 (throttled) or 401, ``why`` safe to log."""

    status_code: int
    why: str


@dataclass(frozen=True)
class _Candidate:
    """What the password check needs of an account, read before the (slow) hash check."""

    principal: Principal
    password_hash: str | None
    can_sign_in: bool

    @classmethod
    def of(cls, user: User, method: Method) -> _Candidate:
        return cls(Principal.of(user, method), user.password_hash, can_sign_in(user))


def check_password(
    context: ConnectorContext, user_name: str, password: str, address: str, method: Method
) -> Principal | PasswordRefused:
    """Check a user name and password from ``address`` with brute-force throttling.

    The argon2 check (~0.1 s) runs outside any transaction: inside a writer it would hold SQLite's write
    turn, stalling every other writer for each Basic call. The throttle and the account are read first; a
    failure (or the forgetting of earlier failures after a success) is then written in a short unit.
    Requests of one address that run in parallel may therefore all be checked before any failure of
    theirs is recorded: the throttle can be overshot by the number of requests in flight.
    """
    account = failure_key(user_name)
    with transaction(context.sessions) as session:
        throttled = is_throttled(session, context.settings, user_name, address)
        user = users.by_user_name(session, user_name)
        candidate = None if user is None else _Candidate.of(user, method)
        had_failures = repository.has_failures(session, account, address)
    if throttled:
        return PasswordRefused(429, "throttled")
    stored = candidate.password_hash if candidate is not None else None
    matches = password_matches(stored, password)
    upgrade = upgraded_hash(stored, password) if matches and stored is not None else None
    accepted = matches and candidate is not None and candidate.can_sign_in
    if not accepted or had_failures or upgrade is not None:
        with transaction(context.sessions, write=True) as session:
            if not accepted or candidate is None:
                record_failure(session, user_name, address)
            else:
                # A success forgets the account's failures from this address (other addresses keep theirs).
                repository.delete_failures(session, account, address)
                if upgrade is not None and stored is not None:
                    users.replace_password_hash(session, candidate.principal.user_id, stored, upgrade)
    if candidate is None or not accepted:
        return PasswordRefused(401, "bad credentials" if not matches else "account inactive or locked")
    return candidate.principal
