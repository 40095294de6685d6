"""Tenants, app registrations, their secrets and role grants, and the token signing keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from m365bridge.cloud.db import Base
from m365bridge.shared.orm import UTCDateTime, new_uuid, utcnow


class Tenant(Base):
    """A directory. Its GUID and its ``*.onmicrosoft.com`` domain both name it in URLs."""

    __tablename__ = "identity_tenants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AppRegistration(Base):
    """An application object and its service principal in one tenant (single-tenant apps only)."""

    __tablename__ = "identity_apps"
    __table_args__ = (UniqueConstraint("tenant_id", "app_id_uri"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("identity_tenants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    # The ``oid``/``sub`` of the app's tokens: its service principal's object id.
    service_principal_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    display_name: Mapped[str] = mapped_column(String(255))
    app_id_uri: Mapped[str | None] = mapped_column(String(255))
    accepted_version: Mapped[int] = mapped_column(Integer, default=1)
    # Application roles this app defines as a resource (what other apps may be granted).
    app_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tenant: Mapped[Tenant] = relationship(lazy="joined")


class ClientSecret(Base):
    """A password credential, kept only as an argon2 hash; ``hint`` is its first three characters."""

    __tablename__ = "identity_client_secrets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    app_id: Mapped[str] = mapped_column(ForeignKey("identity_apps.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    hint: Mapped[str] = mapped_column(String(3))
    secret_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AppRoleGrant(Base):
    """An application permission granted (and consented) to a client app on a resource."""

    __tablename__ = "identity_role_grants"
    __table_args__ = (UniqueConstraint("app_id", "resource_app_id", "role"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    app_id: Mapped[str] = mapped_column(ForeignKey("identity_apps.id", ondelete="CASCADE"), index=True)
    # The resource's appId: a first-party GUID or a tenant app's client id.
    resource_app_id: Mapped[str] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SigningKey(Base):
    """An RSA token-signing key with its self-signed certificate; the private key encrypted at rest."""

    __tablename__ = "identity_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a newer key takes over; published and accepted until retired_at + grace.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
