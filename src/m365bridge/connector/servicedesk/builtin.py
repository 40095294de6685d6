"""The built-in service desk behind the port: the connector's own incident table (``connector/incidents``).

Writes happen in the caller's session or connection, so they commit or roll back with the feature's own
bookkeeping (a case event's ledger row and its work note, an auto-incident link and its incident), exactly
as before the port; idempotency keys are therefore not needed here and not stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from m365bridge.connector.incidents import repository, service
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.incidents.table import DONE_STATES, Journal
from m365bridge.connector.servicedesk.port import (
    ChangePage,
    DeskIncident,
    IncidentRef,
    NewIncident,
    Watermark,
    WorkNote,
)


def incident_url(sys_id: str) -> str:
    return f"/incidents/{sys_id}"


class BuiltinDesk:
    """``ServiceDesk`` over the built-in incident table."""

    def get_incident(self, session: Session, sys_id: str) -> DeskIncident:
        return _view(service.get_incident(session, sys_id))

    def find_incident(self, session: Session, sys_id_or_number: str) -> DeskIncident:
        return _view(service.find_incident(session, sys_id_or_number))

    def incident_numbers(self, connection: Connection, sys_ids: Collection[str]) -> dict[str, str]:
        return repository.incident_numbers(connection, sys_ids) if sys_ids else {}

    def changed_since(self, session: Session, since: Watermark | None, *, limit: int) -> ChangePage:
        after = (since.updated_on, since.sys_id) if since else None
        # One row more than asked tells whether another page follows, without counting.
        rows = repository.changed_after(session, after, limit=limit + 1)
        page = [_view(row) for row in rows[:limit]]
        watermark = Watermark(page[-1].updated_on, page[-1].sys_id) if page else since
        return ChangePage(incidents=page, watermark=watermark, more=len(rows) > limit)

    def add_work_notes(self, connection: Connection, notes: Sequence[WorkNote]) -> None:
        entries = [(note.incident_sys_id, note.text, note.author) for note in notes]
        service.write_journals(connection, Journal.WORK_NOTES, entries)

    def create_incident(self, session: Session, new: NewIncident) -> IncidentRef:
        fields: dict[str, Any] = {
            **new.fields,
            "short_description": new.short_description,
            "description": new.description,
            "impact": new.impact,
            "urgency": new.urgency,
            "correlation_id": new.correlation_id,
            "correlation_display": new.correlation_display,
        }
        incident = service.create_incident(session, fields, service.SYSTEM)
        return IncidentRef(sys_id=incident.sys_id, number=incident.number)

    def resolve_incident(self, session: Session, sys_id: str, close_code: str, close_notes: str) -> None:
        incident = service.get_incident(session, sys_id)
        service.resolve_incident(session, incident, close_code, close_notes, service.SYSTEM)


def _view(incident: Incident) -> DeskIncident:
    return DeskIncident(
        sys_id=incident.sys_id,
        number=incident.number,
        short_description=incident.short_description,
        description=incident.description,
        state=incident.state,
        active=incident.active,
        done=incident.state in DONE_STATES,
        correlation_id=incident.correlation_id,
        updated_on=incident.sys_updated_on,
        url=incident_url(incident.sys_id),
    )
