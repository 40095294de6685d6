"""All SQL of the directory."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from m365bridge.cloud.directory.models import DirectoryUser, UISession


def user_by_email(session: Session, email: str) -> DirectoryUser | None:
    return session.scalars(select(DirectoryUser).where(DirectoryUser.email == email.lower())).first()


def user_by_id(session: Session, user_id: str) -> DirectoryUser | None:
    return session.get(DirectoryUser, user_id)


def list_users(session: Session, tenant_id: str | None = None) -> Sequence[DirectoryUser]:
    query = select(DirectoryUser).order_by(DirectoryUser.email)
    if tenant_id is not None:
        query = query.where(DirectoryUser.tenant_id == tenant_id)
    return session.scalars(query).all()


def ui_session(session: Session, token_digest: str) -> UISession | None:
    return session.get(UISession, token_digest)


def delete_ui_session(session: Session, token_digest: str) -> None:
    session.execute(delete(UISession).where(UISession.token_digest == token_digest))
