"""All SQL of cases: the case rows, their thread and the applied-event ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, insert, select, update
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


def incident_exists(session: Session, sys_id: str) -> bool:
    return session.scalar(select(Incident.sys_id).where(Incident.sys_id == sys_id)) is not None


def advance(session: Session, case_sys_id: str, sequence: int, **values: object) -> bool:
    """Move the case to ``sequence`` if it is still at ``sequence - 1`` (a concurrent apply loses)."""
    result = session.execute(
        update(SupportCase)
        .where(SupportCase.sys_id == case_sys_id, SupportCase.last_sequence == sequence - 1)
        .values(last_sequence=sequence, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


# Inbound events write these rows with single Core INSERTs of prebuilt statements (no ORM objects, no
# flush, one compiled form each): the events hot path, where ORM bookkeeping cost more than SQLite.
_INSERT_CASE = insert(cast(Table, SupportCase.__table__))
_INSERT_EVENT = insert(cast(Table, CaseEvent.__table__))
_INSERT_MESSAGE = insert(cast(Table, CaseMessage.__table__))


def insert_case(session: Session, *, created_at: dt.datetime, **values: object) -> str:
    """A new case row started by its case.created event; its sys_id."""
    sys_id = new_sys_id()
    row = {"sys_id": sys_id, "created_at": created_at, "updated_at": created_at, "last_sequence": 0}
    session.execute(_INSERT_CASE, {**row, **values})
    return sys_id


def record_event(session: Session, event_id: str, case_id: str, sequence: int, kind: str) -> None:
    """Add the event to the ledger; raises IntegrityError when the id was used before."""
    session.execute(_INSERT_EVENT, {"id": event_id, "case_id": case_id, "sequence": sequence, "type": kind})


def insert_message(session: Session, case_sys_id: str, **values: object) -> None:
    session.execute(_INSERT_MESSAGE, {"sys_id": new_sys_id(), "case_sys_id": case_sys_id, **values})
