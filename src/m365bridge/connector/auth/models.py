"""What inbound authentication stores. Every credential is kept as a digest or an argon2 hash."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from m365bridge.connector.db import Base
from m365bridge.connector.keys.columns import ENCRYPTED
from m365bridge.connector.users.models import new_sys_id
from m365bridge.shared.orm import UTCDateTime, utcnow


class UISession(Base):
    """An interactive session; the cookie holds the token, this row its SHA-256 digest."""

    __tablename__ = "ui_session"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("sys_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class OIDCProvider(Base):
    """An OIDC provider configuration: whose tokens to trust and how to map them to a user."""

    __tablename__ = "oidc_provider"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    metadata_url: Mapped[str] = mapped_column(String(1024))
    user_claim: Mapped[str] = mapped_column(String(100), default="appid")
    user_field: Mapped[str] = mapped_column(String(30), default="user_name")
    clock_skew: Mapped[int] = mapped_column(Integer, default=300)
    # Optional second issuer, e.g. the v1 ``https://sts.windows.net/{tid}/`` next to v2 metadata.
    extra_issuer: Mapped[str | None] = mapped_column(String(1024), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    entities: Mapped[list[OIDCEntity]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", lazy="selectin"
    )


class OIDCEntity(Base):
    """An OIDC entity: accepts tokens whose audience is ``client_id`` from its provider."""

    __tablename__ = "oidc_entity"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    name: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    provider_id: Mapped[str] = mapped_column(ForeignKey("oidc_provider.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    provider: Mapped[OIDCProvider] = relationship(back_populates="entities")


class LoginFailure(Base):
    """One failed login (UI, Basic or password grant), counted per account and per address."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_account", "account", "at"),
        Index("ix_login_failure_address", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AllowlistEntry(Base):
    """An address or CIDR allowed to call the inbound REST API when the allowlist is enabled."""

    __tablename__ = "inbound_allowlist"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_sys_id)
    cidr: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
