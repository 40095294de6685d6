"""Interactive UI sessions: opaque cookie token, stored as a digest, ended by logout or idleness.

The CSRF token is derived from the session token (HMAC), so it is bound to the session, changes when the
session is rotated at login, and needs no storage of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from m365bridge.connector.auth.models import UISession
from m365bridge.connector.users.models import User
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
    row = session.scalars(select(UISession).where(UISession.token_digest == token_digest(token))).first()
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > dt.timedelta(minutes=idle_minutes):
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or user.locked or user.web_service_access_only:
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UISession).where(UISession.token_digest == token_digest(token)))


def end_user_sessions(session: Session, user_id: str) -> None:
    """Sign a user out everywhere (after a password reset, lock or deactivation)."""
    session.execute(delete(UISession).where(UISession.user_id == user_id))


def purge_idle(session: Session, idle_minutes: int) -> int:
    """Delete sessions idle for longer than ``idle_minutes`` (they could not be used any more)."""
    cutoff = utcnow() - dt.timedelta(minutes=idle_minutes)
    result = session.execute(delete(UISession).where(UISession.last_seen_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
