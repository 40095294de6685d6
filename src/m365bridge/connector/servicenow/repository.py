"""All SQL of the instance connection. Callers own the session; values are encrypted by the caller's
``SecretBox`` before they get here (``service.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import cast

from sqlalchemy import Connection, Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from m365bridge.connector.servicenow.models import DEFAULT_NAME, InstanceConnection, MirroredIncident
from m365bridge.connector.servicenow.records import InstanceIncident, parse_sn_datetime
from m365bridge.shared.orm import utcnow

_MIRROR = cast(Table, MirroredIncident.__table__)


def get(session: Session, name: str = DEFAULT_NAME) -> InstanceConnection | None:
    return session.scalars(select(InstanceConnection).where(InstanceConnection.name == name)).one_or_none()


def get_for_update(session: Session, name: str = DEFAULT_NAME) -> InstanceConnection | None:
    query = select(InstanceConnection).where(InstanceConnection.name == name).with_for_update()
    return session.scalars(query).one_or_none()


def add(session: Session, connection: InstanceConnection) -> InstanceConnection:
    session.add(connection)
    session.flush()
    return connection


# The mirror of instance incidents (``MirroredIncident``).


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def mirror(session: Session, incidents: Sequence[InstanceIncident]) -> None:
    """Insert or refresh the mirrored copies of ``incidents``."""
    now = utcnow()
    rows = [
        {
            "sys_id": incident.sys_id,
            "number": incident.number[:40],
            "short_description": incident.short_description[:160],
            "state": incident.state[:40],
            "correlation_id": incident.correlation_id[:200],
            "updated_on": parse_sn_datetime(incident.sys_updated_on) or EPOCH,
            "seen_at": now,
        }
        for incident in incidents
        if incident.sys_id and len(incident.sys_id) <= 32
    ]
    if not rows:
        return
    bind = session.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    statement = insert(_MIRROR)
    fresher = {name: statement.excluded[name] for name in rows[0] if name != "sys_id"}
    session.execute(statement.on_conflict_do_update(index_elements=["sys_id"], set_=fresher), rows)


def mirrored_numbers(connection: Connection, sys_ids: Collection[str]) -> dict[str, str]:
    query = select(_MIRROR.c.sys_id, _MIRROR.c.number).where(_MIRROR.c.sys_id.in_(list(sys_ids)))
    return {sys_id: number for sys_id, number in connection.execute(query)}


def mirrored_after(
    session: Session, after: tuple[dt.datetime, str] | None, *, limit: int
) -> Sequence[MirroredIncident]:
    """Mirrored incidents in change order ``(updated_on, sys_id)``, after ``after`` when given."""
    query = select(MirroredIncident).order_by(MirroredIncident.updated_on, MirroredIncident.sys_id)
    if after is not None:
        query = query.where(tuple_(MirroredIncident.updated_on, MirroredIncident.sys_id) > tuple_(*after))
    return session.scalars(query.limit(limit)).all()


def find_mirrored(session: Session, number: str) -> MirroredIncident | None:
    return session.scalars(select(MirroredIncident).where(MirroredIncident.number == number)).first()
