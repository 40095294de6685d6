"""The service-desk port over a customer's ServiceNow instance.

``InstanceDesk`` is the ``ServiceDesk`` the features get from ``desk_for`` when the instance is in use:
reads call the instance (through ``InstanceClient``), writes go to the outbox in the caller's transaction
and ``InstanceWriter`` (the ``RemoteDesk``) delivers them after the commit. What the connector keeps about
instance incidents is keyed by the instance's sys_id and number: the mirror (``servicenow_incident``),
refreshed by every poll and by reads, answers ``incident_numbers`` and ``changed_since`` without a call.

Exactly-once work notes: every note is sent with a last line ``[m365bridge:<key>]`` (its idempotency key).
A delivery whose earlier attempt may have landed (a kill between the PATCH and the outbox bookkeeping)
first reads the incident's work-note journal (``sys_journal_field``) for that line and sends nothing when
it is there. Agents see the line under the note; it names the connector write, nothing secret.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk import outbox
from m365bridge.connector.servicedesk.port import (
    ChangePage,
    DeskError,
    DeskIncident,
    DeskRetriableError,
    IncidentRef,
    NewIncident,
    Watermark,
    WorkNote,
)
from m365bridge.connector.servicenow import errors, repository, service
from m365bridge.connector.servicenow.client import InstanceClient
from m365bridge.connector.servicenow.models import MirroredIncident
from m365bridge.connector.servicenow.records import InstanceIncident, parse_sn_datetime
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound

log = logging.getLogger(__name__)

DONE_STATES = frozenset({"6", "7", "8"})  # Resolved, Closed, Canceled: ServiceNow's incident states
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SYS_ID = re.compile(r"[0-9a-f]{32}")
SEEN_MAX = 10_000


def marker(key: str) -> str:
    """The line that identifies a connector work note on the instance (see the module docstring)."""
    return f"[m365bridge:{key}]"


def view(incident: InstanceIncident, base_url: str) -> DeskIncident:
    return DeskIncident(
        sys_id=incident.sys_id,
        number=incident.number,
        short_description=incident.short_description,
        description=incident.description,
        state=int(incident.state) if incident.state.isdigit() else 0,
        active=incident.state not in DONE_STATES,
        done=incident.state in DONE_STATES,
        correlation_id=incident.correlation_id,
        updated_on=parse_sn_datetime(incident.sys_updated_on) or EPOCH,
        url=f"{base_url}/incident.do?sys_id={quote(incident.sys_id, safe='')}",
    )


def desk_error(error: errors.ServiceNowError) -> DeskError:
    """The port's error for a client failure: retriable (unreachable, HTML page, 429, 5xx) or not."""
    kind = DeskRetriableError if error.retriable else DeskError
    return kind(error.explain())


@contextmanager
def _calls(context: ConnectorContext, operation: str) -> Iterator[InstanceClient]:
    """A client for a read; a failure becomes the port's error. The system-log line is the runner's (its
    poll meets the same failure): a read runs in the caller's unit, where no writer unit may start."""
    client = service.open_client(context)
    try:
        yield client
    except errors.RecordNotFound as error:
        raise NotFound(f"Incident not found on the ServiceNow instance: {error.explain()}") from error
    except errors.ServiceNowError as error:
        log.warning("ServiceNow instance: %s failed: %s", operation, error.explain())
        raise desk_error(error) from error
    finally:
        client.close()


class InstanceDesk:
    """``ServiceDesk`` over the configured instance."""

    def __init__(self, context: ConnectorContext) -> None:
        self._context = context
        # Incidents read since the last poll, mirrored by the runner's next pass: a read happens in the
        # caller's (possibly writing) unit, where no second writer unit may start.
        self._seen: dict[str, InstanceIncident] = {}
        self._lock = threading.Lock()

    def get_incident(self, session: Session, sys_id: str) -> DeskIncident:
        with _calls(self._context, "reading an incident") as client:
            incident = client.get_incident(sys_id)
            return self._remember(incident, client.base_url)

    def find_incident(self, session: Session, sys_id_or_number: str) -> DeskIncident:
        # The mirror in a unit of its own: a remote read leaves the caller's (request) session unbegun.
        with transaction(self._context.sessions) as own:
            mirrored = repository.find_mirrored(own, sys_id_or_number)
            known = mirrored.sys_id if mirrored is not None else None
        if known is not None or SYS_ID.fullmatch(sys_id_or_number):
            return self.get_incident(session, known or sys_id_or_number)
        with _calls(self._context, "finding an incident by number") as client:
            found = client.find_by_number(sys_id_or_number)
            if found is None:
                raise NotFound(f"No incident {sys_id_or_number} on the ServiceNow instance.")
            return self._remember(found, client.base_url)

    def incident_numbers(self, connection: Connection, sys_ids: Collection[str]) -> dict[str, str]:
        if not sys_ids:
            return {}
        numbers = repository.mirrored_numbers(connection, sys_ids)
        with self._lock:
            numbers.update({s: i.number for s, i in self._seen.items() if s in sys_ids})
        return numbers

    def changed_since(self, session: Session, since: Watermark | None, *, limit: int) -> ChangePage:
        """From the mirror, which the runner's poll keeps up with the instance (``poll.py``)."""
        after = (since.updated_on, since.sys_id) if since else None
        rows = repository.mirrored_after(session, after, limit=limit + 1)
        base = _base_url(session)
        page = [_mirrored_view(row, base) for row in rows[:limit]]
        mark = Watermark(page[-1].updated_on, page[-1].sys_id) if page else since
        return ChangePage(incidents=page, watermark=mark, more=len(rows) > limit)

    def add_work_notes(self, connection: Connection, notes: Sequence[WorkNote]) -> None:
        outbox.enqueue_work_notes(connection, notes)

    def create_incident(self, session: Session, new: NewIncident) -> IncidentRef | None:
        outbox.enqueue_create(session.connection(), new)
        return None  # the reference comes with the delivery (outbox.created_incident)

    def resolve_incident(self, session: Session, sys_id: str, close_code: str, close_notes: str) -> None:
        outbox.enqueue_resolve(session.connection(), sys_id, close_code, close_notes)

    def take_seen(self) -> list[InstanceIncident]:
        """The incidents read since the last call, for the mirror."""
        with self._lock:
            seen, self._seen = list(self._seen.values()), {}
        return seen

    def _remember(self, incident: InstanceIncident, base_url: str) -> DeskIncident:
        with self._lock:
            self._seen.pop(incident.sys_id, None)
            self._seen[incident.sys_id] = incident
            if len(self._seen) > SEEN_MAX:  # no runner takes them (it is off): keep the newest only
                del self._seen[next(iter(self._seen))]
        return view(incident, base_url)


class InstanceWriter:
    """``RemoteDesk`` over one open client: the calls ``outbox.deliver_due`` makes."""

    def __init__(self, client: InstanceClient) -> None:
        self._client = client

    def add_work_note(self, note: WorkNote) -> None:
        with _port_errors():
            self._client.add_work_note(note.incident_sys_id, f"{note.text}\n\n{marker(note.key)}")

    def has_work_note(self, incident_sys_id: str, key: str) -> bool:
        line = marker(key)
        with _port_errors():
            notes = self._client.work_notes(incident_sys_id)
        return any(line in note.value for note in notes)

    def create_incident(self, new: NewIncident) -> IncidentRef:
        fields = {
            **new.fields,
            "short_description": new.short_description,
            "description": new.description,
            "impact": str(new.impact),
            "urgency": str(new.urgency),
        }
        with _port_errors():
            created = self._client.create_incident(
                fields, correlation_id=new.correlation_id, correlation_display=new.correlation_display
            )
        return IncidentRef(sys_id=created.sys_id, number=created.number)

    def find_by_correlation(self, correlation_id: str) -> IncidentRef | None:
        with _port_errors():
            found = self._client.find_by_correlation(correlation_id)
        return IncidentRef(sys_id=found.sys_id, number=found.number) if found else None

    def resolve_incident(self, sys_id: str, close_code: str, close_notes: str) -> None:
        with _port_errors():
            self._client.resolve(sys_id, close_code=close_code, close_notes=close_notes)


@contextmanager
def _port_errors() -> Iterator[None]:
    try:
        yield
    except errors.ServiceNowError as error:
        raise desk_error(error) from error


def _base_url(session: Session) -> str:
    connection = service.find_connection(session)
    return connection.url if connection else ""


def _mirrored_view(row: MirroredIncident, base_url: str) -> DeskIncident:
    return DeskIncident(
        sys_id=row.sys_id,
        number=row.number,
        short_description=row.short_description,
        description="",  # not mirrored: get_incident reads it
        state=int(row.state) if row.state.isdigit() else 0,
        active=row.state not in DONE_STATES,
        done=row.state in DONE_STATES,
        correlation_id=row.correlation_id,
        updated_on=row.updated_on,
        url=f"{base_url}/incident.do?sys_id={quote(row.sys_id, safe='')}",
    )
