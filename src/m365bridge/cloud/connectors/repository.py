"""All SQL of the cached connector tokens."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from m365bridge.cloud.connectors.models import ConnectorTokenState


def token_state(session: Session, repository_pk: str) -> ConnectorTokenState | None:
    return session.get(ConnectorTokenState, repository_pk)


def add_token_state(session: Session, repository_pk: str, **values: object) -> None:
    session.add(ConnectorTokenState(repository_pk=repository_pk, **values))
    session.flush()


def update_token_state(session: Session, repository_pk: str, **values: object) -> bool:
    statement = (
        update(ConnectorTokenState)
        .where(ConnectorTokenState.repository_pk == repository_pk)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
