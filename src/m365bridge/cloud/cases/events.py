"""Case events written to the outbox in the caller's transaction, with gap-free per-case sequence numbers.

The envelope posted to ``{endpoint}/v1/events``::

    {"id": "<event GUID>", "sequence": 3, "type": "case.message", "caseId": "<case GUID>",
     "caseNumber": "2611270010001234", "incidentSysId": "<32 hex>", "occurredAt": "<ISO 8601 UTC>",
     "data": {...}}

The receiver deduplicates on ``id`` and applies events of one case in ``sequence`` order.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.cloud.cases import repository
from m365bridge.cloud.cases.models import OutboxEvent, SupportCase
from m365bridge.shared.orm import new_uuid, utcnow

CASE_CREATED = "case.created"
CASE_STATUS_CHANGED = "case.statusChanged"
CASE_MESSAGE = "case.message"
CASE_RESOLVED = "case.resolved"
CASE_CONTACT_UPDATED = "case.contactUpdated"


def record(session: Session, case: SupportCase, event_type: str, data: dict[str, Any]) -> OutboxEvent:
    """Append an event for ``case``; it commits or rolls back together with the change that caused it."""
    session.flush()  # the case row must exist before its sequence counter can be bumped
    sequence = repository.next_sequence(session, case.id)
    case.last_sequence = sequence
    now = utcnow()
    event_id = new_uuid()
    envelope = {
        "id": event_id,
        "sequence": sequence,
        "type": event_type,
        "caseId": case.id,
        "caseNumber": case.number,
        "incidentSysId": case.incident_sys_id,
        "occurredAt": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    event = OutboxEvent(
        id=event_id,
        case_id=case.id,
        sequence=sequence,
        type=event_type,
        payload=json.dumps(envelope, separators=(",", ":")),
        occurred_at=now,
        next_attempt_at=now,
    )
    session.add(event)
    session.flush()
    return event
