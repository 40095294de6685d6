"""All SQL of cases: the case rows, their thread and the applied-event ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from m365bridge.connector.cases.models import CaseEvent, CaseMessage, SupportCase
from m365bridge.connector.db import new_sys_id


def by_case_id(session: Session, case_id: str) -> SupportCase | None:
    return session.scalars(select(SupportCase).where(SupportCase.case_id == case_id)).first()


def get(session: Session, sys_id: str) -> SupportCase | None:
    return session.get(SupportCase, sys_id)


def for_incident(session: Session, incident_sys_id: str) -> Sequence[SupportCase]:
    query = (
        select(SupportCase)
        .where(SupportCase.incident_sys_id == incident_sys_id)
        .order_by(SupportCase.created_at.desc())
    )
    return session.scalars(query).all()


def thread(session: Session, case_sys_id: str) -> Sequence[CaseMessage]:
    query = (
        select(CaseMessage)
        .where(CaseMessage.case_sys_id == case_sys_id)
        .order_by(CaseMessage.created_at, CaseMessage.sys_id)
    )
    return session.scalars(query).all()


def message_by_client_id(session: Session, case_sys_id: str, client_message_id: str) -> CaseMessage | None:
    query = select(CaseMessage).where(
        CaseMessage.case_sys_id == case_sys_id, CaseMessage.client_message_id == client_message_id
    )
    return session.scalars(query).first()


# Inbound events run on a Core connection with prebuilt statements, one ``executemany`` per table for a
# whole batch (compiled once; no session, ORM objects or flush): on that hot path the ORM's bookkeeping, and
# then per-row statements, cost more than SQLite itself. Rows carry every column, so no Python-side column
# default runs per row.
_CASES = cast(Table, SupportCase.__table__)
_EVENTS = cast(Table, CaseEvent.__table__)
# What an event can change on a case (``events._effect``), besides its sequence and updated_at.
CASE_STATE = (
    "status",
    "resolved",
    "contact_name",
    "contact_email",
    "contact_phone",
    "preferred_contact_method",
    "updated_at",
    "last_sequence",
)
_CASE_DEFAULTS = {
    column.key: column.default.arg
    for column in _CASES.columns
    if isinstance(column.default, ScalarElementColumnDefault)
}
_CASE_STATES = select(
    _CASES.c.sys_id,
    _CASES.c.case_id,
    _CASES.c.number,
    _CASES.c.incident_sys_id,
    *(_CASES.c[name] for name in CASE_STATE),
).where(_CASES.c.case_id.in_(bindparam("case_ids", expanding=True)))
_UPDATE_CASE_STATE = (
    update(_CASES)
    .where(_CASES.c.sys_id == bindparam("where_sys_id"))
    .where(_CASES.c.last_sequence == bindparam("where_sequence"))
    .values({name: bindparam(name) for name in CASE_STATE})
)
_USED_EVENT_IDS = select(_EVENTS.c.id).where(_EVENTS.c.id.in_(bindparam("event_ids", expanding=True)))
_INSERT_CASE = insert(_CASES)
_INSERT_EVENT = insert(_EVENTS)
_INSERT_MESSAGE = insert(cast(Table, CaseMessage.__table__))


def case_states(connection: Connection, case_ids: Collection[str]) -> list[dict[str, Any]]:
    """The named cases that exist: sys_id, case_id, number, incident_sys_id and the ``CASE_STATE`` columns."""
    rows = connection.execute(_CASE_STATES, {"case_ids": list(case_ids)}).mappings()
    return [dict(row) for row in rows]


def used_event_ids(connection: Connection, event_ids: Collection[str]) -> set[str]:
    """Those of ``event_ids`` already in the applied-event ledger."""
    return set(connection.scalars(_USED_EVENT_IDS, {"event_ids": list(event_ids)}))


def new_case_row(*, created_at: dt.datetime, **values: Any) -> dict[str, Any]:
    """Every column of a new case row (a fresh sys_id, sequence 0). The one way a case row starts, whether a
    case.created event starts it (``events``) or the support service's answer does (``service``); both
    insert it with ``insert_cases``."""
    fresh = {"sys_id": new_sys_id(), "created_at": created_at, "updated_at": created_at, "last_sequence": 0}
    return {**_CASE_DEFAULTS, **fresh, **values}


def insert_cases(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Raises IntegrityError when a case_id is taken."""
    connection.execute(_INSERT_CASE, rows)


def update_case_states(connection: Connection, cases: list[tuple[dict[str, Any], int]]) -> int:
    """Write each case's ``CASE_STATE`` where it still has the sequence it was read with; rows updated
    (fewer than given when another writer moved a case meanwhile)."""
    params = [
        {"where_sys_id": row["sys_id"], "where_sequence": read_sequence, **{k: row[k] for k in CASE_STATE}}
        for row, read_sequence in cases
    ]
    return int(connection.execute(_UPDATE_CASE_STATE, params).rowcount)


def record_events(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Add applied events to the ledger; raises IntegrityError when an id (or case and sequence) was used."""
    connection.execute(_INSERT_EVENT, rows)


def insert_messages(connection: Connection, rows: list[dict[str, Any]]) -> None:
    connection.execute(_INSERT_MESSAGE, rows)
