"""Typed results of the instance client: what callers get instead of the Table API's raw JSON.

A field comes back in one of ServiceNow's documented shapes, depending on ``sysparm_display_value`` and on
whether it is a reference: a plain string (``false``, or ``true`` on a plain field), ``{"link", "value"}``
(a reference with ``false``), ``{"display_value", "link"}`` (a reference with ``true``), or
``{"display_value", "value"[, "link"]}`` (``all``). ``field_value``/``field_display`` read any of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SN_DATETIME = "%Y-%m-%d %H:%M:%S"


def field_value(raw: Any) -> str:
    """The stored value (a sys_id for a reference) of a field in any of the documented shapes."""
    if isinstance(raw, Mapping):
        value = raw.get("value")
        if value is None:
            # ``true`` on a reference gives only display_value and link; the link ends in the sys_id.
            link = str(raw.get("link") or "")
            return link.rsplit("/", 1)[-1] if link else str(raw.get("display_value") or "")
        return str(value)
    return "" if raw is None else str(raw)


def field_display(raw: Any) -> str:
    """The display value when the instance sent one, else the stored value."""
    if isinstance(raw, Mapping):
        display = raw.get("display_value")
        return str(display) if display is not None else field_value(raw)
    return "" if raw is None else str(raw)


def parse_sn_datetime(text: str) -> dt.datetime | None:
    """ServiceNow's ``YYYY-MM-DD HH:MM:SS`` (UTC in the stored value), or None when empty."""
    if not text:
        return None
    return dt.datetime.strptime(text, SN_DATETIME).replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class InstanceIncident:
    """The incident fields the connector's features use. ``state`` is the stored number ("6"), so that a
    caller compares values; ``state_label`` is what an agent reads, when the instance sent it."""

    sys_id: str
    number: str
    short_description: str
    description: str
    state: str
    state_label: str
    sys_updated_on: str
    correlation_id: str
    close_code: str
    close_notes: str
    caller_id: str
    caller_name: str

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> InstanceIncident:
        def value(name: str) -> str:
            return field_value(record.get(name))

        return cls(
            sys_id=value("sys_id"),
            number=value("number"),
            short_description=value("short_description"),
            description=value("description"),
            state=value("state"),
            state_label=field_display(record.get("state")),
            sys_updated_on=value("sys_updated_on"),
            correlation_id=value("correlation_id"),
            close_code=value("close_code"),
            close_notes=value("close_notes"),
            caller_id=value("caller_id"),
            caller_name=field_display(record.get("caller_id")),
        )


# The fields asked for with sysparm_fields, so that an instance with many custom fields sends only these.
INCIDENT_FIELDS = (
    "sys_id",
    "number",
    "short_description",
    "description",
    "state",
    "sys_updated_on",
    "correlation_id",
    "close_code",
    "close_notes",
    "caller_id",
)


@dataclass(frozen=True)
class JournalEntry:
    """One ``sys_journal_field`` row: a work note or comment on a record."""

    sys_id: str
    element_id: str
    element: str
    value: str
    sys_created_on: str
    sys_created_by: str

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> JournalEntry:
        return cls(**{name: field_value(record.get(name)) for name in JOURNAL_FIELDS})


JOURNAL_FIELDS = ("sys_id", "element_id", "element", "value", "sys_created_on", "sys_created_by")


@dataclass(frozen=True)
class Watermark:
    """Where a poll of changed incidents stands: the newest ``sys_updated_on`` handled, and the sys_ids
    already handled at exactly that second.

    A plain ``(updated_on, sys_id)`` pair assumes the instance orders records of one second by sys_id. The
    stand-in instance stores sub-second times, so records of one displayed second come back in time order;
    remembering every sys_id of the last second is right for both orders (and is small: one second's
    changes)."""

    updated_on: str = ""
    sys_ids: frozenset[str] = frozenset()

    def has_seen(self, incident: InstanceIncident) -> bool:
        if incident.sys_updated_on < self.updated_on:
            return True
        return incident.sys_updated_on == self.updated_on and incident.sys_id in self.sys_ids

    def after(self, incident: InstanceIncident) -> Watermark:
        if incident.sys_updated_on == self.updated_on:
            return Watermark(self.updated_on, self.sys_ids | {incident.sys_id})
        return Watermark(incident.sys_updated_on, frozenset({incident.sys_id}))


@dataclass(frozen=True)
class ChangedPage:
    """One page of changed incidents: the ones not seen before, the watermark after them, and whether the
    instance has more (its ``Link: rel="next"``) beyond what it sent."""

    incidents: tuple[InstanceIncident, ...]
    watermark: Watermark
    total: int | None
    has_more: bool
    next_offset: int | None
