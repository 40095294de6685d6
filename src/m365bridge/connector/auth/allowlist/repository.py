"""All SQL about the inbound allowlist."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.connector.auth.allowlist.models import AllowlistEntry


def entries(session: Session) -> Sequence[AllowlistEntry]:
    return session.scalars(select(AllowlistEntry).order_by(AllowlistEntry.cidr)).all()


def entry_by_pk(session: Session, pk: str) -> AllowlistEntry | None:
    return session.get(AllowlistEntry, pk)


def entry_by_cidr(session: Session, cidr: str) -> AllowlistEntry | None:
    return session.scalars(select(AllowlistEntry).where(AllowlistEntry.cidr == cidr)).first()
