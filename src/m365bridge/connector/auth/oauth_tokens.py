"""Revoking a user's OAuth tokens; kept apart from the OAuth server so that user management can call it
(the server itself depends on user management)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from m365bridge.connector.auth.models import OAuthToken
from m365bridge.shared.orm import utcnow


def revoke_user_tokens(session: Session, user_id: str, now: dt.datetime | None = None) -> None:
    """Revoke every live access and refresh token of ``user_id`` (after a password change or a
    deactivation: what was granted with the old password, or to the old account state, stops working)."""
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
