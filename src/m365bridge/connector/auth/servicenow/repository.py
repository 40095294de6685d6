"""All SQL of the instance sign-in: its OAuth client and the instance accounts that signed in."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from m365bridge.connector.auth.servicenow.models import InstanceAccount, SignInClient


def client(session: Session) -> SignInClient | None:
    return session.scalars(select(SignInClient)).first()


def save_client(session: Session, row: SignInClient) -> None:
    session.add(row)
    session.flush()


def delete_client(session: Session) -> int:
    return int(getattr(session.execute(delete(SignInClient)), "rowcount", 0) or 0)


def account(session: Session, instance_url: str, instance_user_sys_id: str) -> InstanceAccount | None:
    return session.scalars(
        select(InstanceAccount).where(
            InstanceAccount.instance_url == instance_url,
            InstanceAccount.instance_user_sys_id == instance_user_sys_id,
        )
    ).first()


def add_account(session: Session, row: InstanceAccount) -> None:
    session.add(row)
    session.flush()
