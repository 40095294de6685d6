"""All SQL of the service-desk outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from m365bridge.connector.servicedesk.models import DeskWrite

_OUTBOX = cast(Table, DeskWrite.__table__)


def record(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert writes (every column given); a key already recorded keeps its row (a retried writer)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(insert(_OUTBOX).on_conflict_do_nothing(index_elements=["key"]), rows)


def due(session: Session, now: dt.datetime, limit: int) -> Sequence[DeskWrite]:
    """Undelivered writes whose time has come, oldest first (so a case's notes keep their order)."""
    query = (
        select(DeskWrite)
        .where(DeskWrite.delivered_at.is_(None), DeskWrite.failed.is_(False), DeskWrite.due_at <= now)
        .order_by(DeskWrite.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def claim(session: Session, key: str, attempts: int, until: dt.datetime) -> bool:
    """Count a new attempt and keep other workers off the write until ``until``; False when another worker
    claimed it first (its attempts moved on) or it was delivered meanwhile."""
    claimed = session.execute(
        update(DeskWrite)
        .where(DeskWrite.key == key, DeskWrite.attempts == attempts, DeskWrite.delivered_at.is_(None))
        .values(attempts=attempts + 1, due_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def settle(session: Session, key: str, **values: Any) -> None:
    session.execute(
        update(DeskWrite)
        .where(DeskWrite.key == key)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def get(session: Session, key: str) -> DeskWrite | None:
    return session.scalars(select(DeskWrite).where(DeskWrite.key == key)).first()
