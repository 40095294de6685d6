"""All SQL about OIDC provider configurations and OIDC entities."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.connector.auth.oidc.models import OIDCEntity, OIDCProvider


def providers(session: Session) -> Sequence[OIDCProvider]:
    """Every provider, by name (the order tokens are checked in: stable, whatever the database)."""
    return session.scalars(select(OIDCProvider).order_by(OIDCProvider.name)).all()


def active_providers(session: Session) -> Sequence[OIDCProvider]:
    return session.scalars(
        select(OIDCProvider).where(OIDCProvider.active.is_(True)).order_by(OIDCProvider.name)
    ).all()


def provider_by_pk(session: Session, pk: str) -> OIDCProvider | None:
    return session.get(OIDCProvider, pk)


def provider_by_name(session: Session, name: str) -> OIDCProvider | None:
    return session.scalars(select(OIDCProvider).where(OIDCProvider.name == name)).first()


def entities(session: Session) -> Sequence[OIDCEntity]:
    return session.scalars(select(OIDCEntity).order_by(OIDCEntity.name)).all()


def entity_by_pk(session: Session, pk: str) -> OIDCEntity | None:
    return session.get(OIDCEntity, pk)


def any_entity_active(session: Session, entity_ids: Sequence[str]) -> bool:
    """Whether one of ``entity_ids`` still exists, is active, and so is its provider."""
    found = session.scalar(
        select(OIDCEntity.id)
        .join(OIDCProvider)
        .where(OIDCEntity.id.in_(entity_ids), OIDCEntity.active.is_(True), OIDCProvider.active.is_(True))
        .limit(1)
    )
    return found is not None
