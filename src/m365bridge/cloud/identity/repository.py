"""Every query of the identity package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from m365bridge.cloud.identity.models import AppRegistration, AppRoleGrant, ClientSecret, SigningKey, Tenant


def find_tenant(session: Session, id_or_domain: str) -> Tenant | None:
    key = id_or_domain.strip().lower()
    return session.scalars(select(Tenant).where(or_(Tenant.id == key, Tenant.domain == key))).first()


def list_tenants(session: Session) -> Sequence[Tenant]:
    return session.scalars(select(Tenant).order_by(Tenant.created_at, Tenant.domain)).all()


def find_app(session: Session, tenant_id: str, client_id: str) -> AppRegistration | None:
    statement = select(AppRegistration).where(
        AppRegistration.tenant_id == tenant_id, AppRegistration.client_id == client_id.strip().lower()
    )
    return session.scalars(statement).first()


def find_app_by_client_id(session: Session, client_id: str) -> AppRegistration | None:
    statement = select(AppRegistration).where(AppRegistration.client_id == client_id.strip().lower())
    return session.scalars(statement).first()


def find_app_by_uri(session: Session, tenant_id: str, app_id_uri: str) -> AppRegistration | None:
    statement = select(AppRegistration).where(
        AppRegistration.tenant_id == tenant_id,
        func.lower(AppRegistration.app_id_uri) == app_id_uri.rstrip("/").lower(),
    )
    return session.scalars(statement).first()


def list_apps(session: Session, tenant_id: str) -> Sequence[AppRegistration]:
    statement = (
        select(AppRegistration)
        .where(AppRegistration.tenant_id == tenant_id)
        .order_by(AppRegistration.created_at, AppRegistration.display_name)
    )
    return session.scalars(statement).all()


def secrets_with_hint(session: Session, app_id: str, hint: str) -> Sequence[ClientSecret]:
    statement = select(ClientSecret).where(ClientSecret.app_id == app_id, ClientSecret.hint == hint)
    return session.scalars(statement).all()


def granted_roles(session: Session, app_id: str, resource_app_id: str) -> set[str]:
    statement = select(AppRoleGrant.role).where(
        AppRoleGrant.app_id == app_id, AppRoleGrant.resource_app_id == resource_app_id
    )
    return set(session.scalars(statement).all())


def list_grants(session: Session, app_id: str) -> Sequence[AppRoleGrant]:
    statement = select(AppRoleGrant).where(AppRoleGrant.app_id == app_id).order_by(AppRoleGrant.created_at)
    return session.scalars(statement).all()


def active_signing_key(session: Session) -> SigningKey | None:
    statement = (
        select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc())
    )
    return session.scalars(statement).first()


def published_signing_keys(session: Session, retired_after: dt.datetime) -> Sequence[SigningKey]:
    """Keys in use or retired after ``retired_after`` (i.e. still inside the grace period)."""
    statement = (
        select(SigningKey)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_after))
        .order_by(SigningKey.created_at.desc())
    )
    return session.scalars(statement).all()


def retire_signing_keys(session: Session, at: dt.datetime) -> None:
    for key in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        key.retired_at = at
