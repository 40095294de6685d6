"""All SQL about OAuth clients and the tokens they were issued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from m365bridge.connector.auth.oauth.models import OAuthClient, OAuthToken


def list_clients(session: Session) -> Sequence[OAuthClient]:
    return session.scalars(select(OAuthClient).order_by(OAuthClient.name)).all()


def client_by_pk(session: Session, pk: str) -> OAuthClient | None:
    return session.get(OAuthClient, pk)


def client_by_client_id(session: Session, client_id: str) -> OAuthClient | None:
    return session.scalars(select(OAuthClient).where(OAuthClient.client_id == client_id)).first()


def token_by_digest(session: Session, digest: str) -> OAuthToken | None:
    """The token (access or refresh: the caller checks ``kind``) whose SHA-256 is ``digest``."""
    return session.scalars(select(OAuthToken).where(OAuthToken.token_digest == digest)).first()


def claim_rotation(session: Session, digest: str, client_pk: str, now: dt.datetime) -> bool:
    """Mark a live refresh token of ``client_pk`` rotated; exactly one of concurrent claims gets ``True``."""
    claimed = session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.token_digest == digest,
            OAuthToken.kind == "refresh",
            OAuthToken.client_id == client_pk,
            OAuthToken.rotated_at.is_(None),
            OAuthToken.revoked_at.is_(None),
            OAuthToken.expires_at > now,
        )
        .values(rotated_at=now)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def revoke_families(session: Session, family_ids: Sequence[str], now: dt.datetime) -> None:
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.family_id.in_(family_ids), OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_user_tokens(session: Session, user_id: str, now: dt.datetime) -> None:
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def live_grant_families(session: Session, client_pk: str, user_id: str, now: dt.datetime) -> list[str]:
    """The families of ``client_pk``'s live refresh tokens for ``user_id``, newest grant first."""
    rows = session.execute(
        select(OAuthToken.family_id, func.max(OAuthToken.created_at).label("newest"))
        .where(
            OAuthToken.client_id == client_pk,
            OAuthToken.user_id == user_id,
            OAuthToken.kind == "refresh",
            OAuthToken.revoked_at.is_(None),
            OAuthToken.expires_at > now,
        )
        .group_by(OAuthToken.family_id)
        .order_by(func.max(OAuthToken.created_at).desc())
    ).all()
    return [row.family_id for row in rows]


def delete_expired_or_revoked(session: Session, now: dt.datetime) -> int:
    result = session.execute(
        delete(OAuthToken).where(or_(OAuthToken.expires_at <= now, OAuthToken.revoked_at.is_not(None)))
    )
    return int(getattr(result, "rowcount", 0) or 0)
