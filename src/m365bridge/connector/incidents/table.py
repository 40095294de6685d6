"""What the incident table is made of, as ServiceNow defines it: choices and their labels, the priority
matrix, which fields are references, which are journals, and which the Table API lets callers write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import IntEnum, StrEnum
from typing import Any

from m365bridge.connector.incidents.encoded_query import Field, Kind
from m365bridge.connector.incidents.models import Incident, JournalEntry


class State(IntEnum):
    NEW = 1
    IN_PROGRESS = 2
    ON_HOLD = 3
    RESOLVED = 6
    CLOSED = 7
    CANCELED = 8


class Journal(StrEnum):
    WORK_NOTES = "work_notes"
    COMMENTS = "comments"


STATE_LABELS: dict[int, str] = {
    State.NEW: "New",
    State.IN_PROGRESS: "In Progress",
    State.ON_HOLD: "On Hold",
    State.RESOLVED: "Resolved",
    State.CLOSED: "Closed",
    State.CANCELED: "Canceled",
}
IMPACT_LABELS = {1: "1 - High", 2: "2 - Medium", 3: "3 - Low"}
URGENCY_LABELS = IMPACT_LABELS
PRIORITY_LABELS = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low", 5: "5 - Planning"}
CATEGORY_LABELS = {
    "inquiry": "Inquiry / Help",
    "software": "Software",
    "hardware": "Hardware",
    "network": "Network",
    "database": "Database",
}
CLOSE_CODES = (
    "Solved (Work Around)",
    "Solved (Permanently)",
    "Solved Remotely (Work Around)",
    "Solved Remotely (Permanently)",
    "Not Solved (Not Reproducible)",
    "Not Solved (Too Costly)",
    "Closed/Resolved by Caller",
)
JOURNAL_LABELS = {Journal.WORK_NOTES: "Work notes", Journal.COMMENTS: "Additional comments"}

# Most characters a caller may write into a text field, as ServiceNow's dictionary sets them (task
# ``description`` and ``close_notes`` 4000, the ``work_notes``/``comments`` journal inputs 4000); fields
# not listed here are bounded by their column's length (``short_description`` 160, as ServiceNow's).
TEXT_MAX_LENGTHS: dict[str, int] = {
    "description": 4000,
    "close_notes": 4000,
    Journal.WORK_NOTES: 4000,
    Journal.COMMENTS: 4000,
}

# Choice fields and their labels, shown by ``sysparm_display_value``.
CHOICES: dict[str, Mapping[Any, str]] = {
    "state": STATE_LABELS,
    "impact": IMPACT_LABELS,
    "urgency": URGENCY_LABELS,
    "priority": PRIORITY_LABELS,
    "category": CATEGORY_LABELS,
    "close_code": {code: code for code in CLOSE_CODES},
}

# ServiceNow's default "Priority Lookup Rules": the 3x3 impact/urgency matrix.
PRIORITY_MATRIX = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 5,
}

INACTIVE_STATES = frozenset({State.CLOSED, State.CANCELED})
"""ServiceNow clears ``active`` only on Closed and Canceled; a Resolved incident stays active until closed."""

DONE_STATES = frozenset({State.RESOLVED, State.CLOSED, State.CANCELED})

REFERENCE_FIELDS = frozenset({"caller_id", "assigned_to", "opened_by", "resolved_by", "closed_by"})

WRITABLE_FIELDS = frozenset(
    {
        "short_description",
        "description",
        "state",
        "impact",
        "urgency",
        "category",
        "subcategory",
        "caller_id",
        "assignment_group",
        "assigned_to",
        "close_code",
        "close_notes",
        "correlation_id",
        "correlation_display",
    }
)


def priority_for(impact: int, urgency: int) -> int:
    return PRIORITY_MATRIX[(impact, urgency)]


def _kind(name: str) -> Kind:
    python_type = Incident.__table__.c[name].type.python_type
    if python_type is bool:
        return Kind.BOOLEAN
    if python_type is int:
        return Kind.INTEGER
    if python_type is dt.datetime:
        return Kind.DATETIME
    return Kind.STRING


INCIDENT_COLUMNS = tuple(column.key for column in Incident.__table__.columns)
INCIDENT_FIELDS = {name: Field(getattr(Incident, name), _kind(name)) for name in INCIDENT_COLUMNS}
"""The fields an encoded query over ``incident`` may name (every column; journals are not columns)."""

JOURNAL_COLUMNS = tuple(column.key for column in JournalEntry.__table__.columns)
JOURNAL_FIELDS = {
    name: Field(getattr(JournalEntry, name), Kind.DATETIME if name == "sys_created_on" else Kind.STRING)
    for name in JOURNAL_COLUMNS
}
