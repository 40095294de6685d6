"""What the OAuth server stores: its clients (secret as a digest) and the tokens it issued (as digests)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from m365bridge.connector.db import Base
from m365bridge.connector.keys.columns import ENCRYPTED
from m365bridge.connector.users.models import new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow


class OAuthClient(Base):
    """An "OAuth API endpoint for external clients" (ServiceNow ``oauth_entity`` of type client)."""

    __tablename__ = "oauth_client"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(255))
    access_token_lifespan: Mapped[int] = mapped_column(Integer, default=1800)
    refresh_token_lifespan: Mapped[int] = mapped_column(Integer, default=8_640_000)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The one redirect URL the authorization-code grant sends codes to (ServiceNow's "Redirect URL");
    # empty: the client may not use that grant.
    redirect_url: Mapped[str] = mapped_column(String(1000), default="")
    # The user a client_credentials grant acts as (ServiceNow's "OAuth Application User"); none: refused.
    run_as_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("sys_user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthToken(Base):
    """An access or refresh token issued by ``/oauth_token.do``.

    Tokens of one password grant share a ``family_id``; reusing a rotated refresh token after the grace
    window revokes the whole family. ``successor_encrypted`` keeps the rotated-to refresh token (encrypted)
    so that a retry inside the grace window gets the same answer.
    """

    __tablename__ = "oauth_token"
    __table_args__ = (Index("ix_oauth_token_family_id", "family_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "access" | "refresh"
    family_id: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("sys_user.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # Marked encrypted so that rotate-key re-encrypts it (a retry within the grace window must still read it).
    successor_encrypted: Mapped[str | None] = mapped_column(String(512), default=None, info={ENCRYPTED: True})
