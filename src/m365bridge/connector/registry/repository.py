"""All SQL of the OAuth registry."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.connector.registry.models import OAuthEntity, OAuthEntityProfile


def list_entities(session: Session) -> Sequence[OAuthEntity]:
    return session.scalars(select(OAuthEntity).order_by(OAuthEntity.name)).all()


def get_entity(session: Session, entity_id: str) -> OAuthEntity | None:
    return session.get(OAuthEntity, entity_id)


def find_entity_by_name(session: Session, name: str) -> OAuthEntity | None:
    return session.scalars(select(OAuthEntity).where(OAuthEntity.name == name)).first()


def get_profile(session: Session, profile_id: str) -> OAuthEntityProfile | None:
    return session.get(OAuthEntityProfile, profile_id)


def add(session: Session, entity: OAuthEntity) -> OAuthEntity:
    session.add(entity)
    session.flush()
    return entity


def delete(session: Session, entity: OAuthEntity) -> None:
    session.delete(entity)
    session.flush()
