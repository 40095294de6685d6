"""All SQL of the instance connection. Callers own the session; values are encrypted by the caller's
``SecretBox`` before they get here (``service.py``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.connector.servicenow.models import DEFAULT_NAME, InstanceConnection


def get(session: Session, name: str = DEFAULT_NAME) -> InstanceConnection | None:
    return session.scalars(select(InstanceConnection).where(InstanceConnection.name == name)).one_or_none()


def get_for_update(session: Session, name: str = DEFAULT_NAME) -> InstanceConnection | None:
    query = select(InstanceConnection).where(InstanceConnection.name == name).with_for_update()
    return session.scalars(query).one_or_none()


def add(session: Session, connection: InstanceConnection) -> InstanceConnection:
    session.add(connection)
    session.flush()
    return connection
