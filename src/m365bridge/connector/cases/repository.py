"""All SQL of cases: the case rows, their thread and the applied-event ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from m365bridge.connector.cases.models import CaseEvent, CaseMessage, SupportCase
from m365bridge.connector.incidents.models import Incident, new_sys_id


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


# Inbound events run on a Core connection with prebuilt statements and bound parameters (compiled once;
# no session, ORM objects or flush): on that hot path the ORM's bookkeeping cost more than SQLite itself.
_CASES = cast(Table, SupportCase.__table__)
_CASE_HEAD = select(_CASES.c.sys_id, _CASES.c.number, _CASES.c.incident_sys_id, _CASES.c.last_sequence).where(
    _CASES.c.case_id == bindparam("head_case_id")
)
_ADVANCE = update(_CASES).where(
    _CASES.c.sys_id == bindparam("where_sys_id"), _CASES.c.last_sequence == bindparam("where_sequence")
)
_INSERT_CASE = insert(_CASES)
_INCIDENT_EXISTS = select(Incident.sys_id).where(Incident.sys_id == bindparam("incident_sys_id"))
_INSERT_EVENT = insert(cast(Table, CaseEvent.__table__))
_INSERT_MESSAGE = insert(cast(Table, CaseMessage.__table__))


def incident_exists(connection: Connection, sys_id: str) -> bool:
    return connection.scalar(_INCIDENT_EXISTS, {"incident_sys_id": sys_id}) is not None


def case_head(connection: Connection, case_id: str) -> tuple[str, str, str, int] | None:
    """The case's sys_id, number, incident and last applied sequence, or ``None``."""
    row = connection.execute(_CASE_HEAD, {"head_case_id": case_id}).first()
    return (row[0], row[1], row[2], row[3]) if row is not None else None


def advance(connection: Connection, case_sys_id: str, sequence: int, **values: object) -> bool:
    """Move the case to ``sequence`` if it is still at ``sequence - 1`` (a concurrent apply loses)."""
    where = {"where_sys_id": case_sys_id, "where_sequence": sequence - 1}
    result = connection.execute(_ADVANCE, {**where, "last_sequence": sequence, **values})
    return bool(getattr(result, "rowcount", 0))


def insert_case(connection: Connection, *, created_at: dt.datetime, **values: object) -> str:
    """A new case row started by its case.created event; its sys_id."""
    sys_id = new_sys_id()
    row = {"sys_id": sys_id, "created_at": created_at, "updated_at": created_at, "last_sequence": 0}
    connection.execute(_INSERT_CASE, {**row, **values})
    return sys_id


def record_event(connection: Connection, event_id: str, case_id: str, sequence: int, kind: str) -> None:
    """Add the event to the ledger; raises IntegrityError when the id was used before."""
    row = {"id": event_id, "case_id": case_id, "sequence": sequence, "type": kind}
    connection.execute(_INSERT_EVENT, row)


def insert_message(connection: Connection, case_sys_id: str, **values: object) -> None:
    connection.execute(_INSERT_MESSAGE, {"sys_id": new_sys_id(), "case_sys_id": case_sys_id, **values})
