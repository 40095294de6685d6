"""Records as ServiceNow's Table API writes them: every value a string, datetimes ``YYYY-MM-DD HH:MM:SS``
UTC, and ``sysparm_display_value`` choosing between stored values, display values (choice labels, user
names) or both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.connector.incidents import repository
from m365bridge.connector.incidents.models import Incident, JournalEntry
from m365bridge.connector.incidents.table import (
    CHOICES,
    INCIDENT_COLUMNS,
    JOURNAL_LABELS,
    REFERENCE_FIELDS,
    Journal,
)
from m365bridge.shared.errors import UserError

JOURNAL_NAMES = tuple(str(j) for j in Journal)
INCIDENT_RESULT_FIELDS = (*INCIDENT_COLUMNS, *JOURNAL_NAMES)


class DisplayMode(StrEnum):
    VALUE = "false"
    DISPLAY = "true"
    ALL = "all"

    @classmethod
    def read(cls, raw: str | None) -> DisplayMode:
        try:
            return cls((raw or "false").strip().lower())
        except ValueError:
            raise UserError(f"Invalid sysparm_display_value {raw!r}: use true, false or all.") from None


def sn_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def sn_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return sn_datetime(value)
    return str(value)


def selected_fields(requested: str | None, available: Sequence[str]) -> list[str]:
    """``sysparm_fields`` in the caller's order; unknown names are ignored, as ServiceNow does."""
    if not requested or not requested.strip():
        return list(available)
    names = [name.strip() for name in requested.split(",")]
    return list(dict.fromkeys(name for name in names if name in available))


@dataclass(frozen=True)
class Presenter:
    """Turns pages of records into ``result`` objects for one request's parameters."""

    session: Session
    base_url: str
    mode: DisplayMode = DisplayMode.VALUE
    exclude_reference_link: bool = False

    def incidents(self, rows: Iterable[Incident], fields: Sequence[str]) -> list[dict[str, Any]]:
        rows = list(rows)
        user_ids = {getattr(r, f) for r in rows for f in fields if f in REFERENCE_FIELDS} - {None}
        names = (
            repository.user_display_names(self.session, user_ids) if self.mode != DisplayMode.VALUE else {}
        )
        journals = self._journal_texts(rows, fields)
        return [self._incident(row, fields, names, journals) for row in rows]

    def journal_entries(self, rows: Iterable[JournalEntry], fields: Sequence[str]) -> list[dict[str, Any]]:
        return [{name: self._plain(sn_value(getattr(row, name))) for name in fields} for row in rows]

    def _incident(
        self,
        row: Incident,
        fields: Sequence[str],
        names: dict[str, str],
        journals: dict[tuple[str, str], str],
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name in fields:
            if name in JOURNAL_NAMES:
                result[name] = self._field("", journals.get((row.sys_id, name), ""))
            elif name in REFERENCE_FIELDS:
                result[name] = self._reference(getattr(row, name), names)
            else:
                value = getattr(row, name)
                label = CHOICES.get(name, {}).get(value)
                result[name] = self._field(sn_value(value), label if label is not None else sn_value(value))
        return result

    def _plain(self, value: str) -> Any:
        return self._field(value, value)

    def _field(self, value: str, display: str) -> Any:
        if self.mode == DisplayMode.VALUE:
            return value
        if self.mode == DisplayMode.DISPLAY:
            return display
        return {"display_value": display, "value": value}

    def _reference(self, sys_id: str | None, names: dict[str, str]) -> Any:
        if not sys_id:
            return self._field("", "")
        display = names.get(sys_id, "")
        link = (
            {}
            if self.exclude_reference_link
            else {"link": f"{self.base_url}/api/now/table/sys_user/{sys_id}"}
        )
        if self.mode == DisplayMode.VALUE:
            return {**link, "value": sys_id} if link else sys_id
        if self.mode == DisplayMode.DISPLAY:
            return {"display_value": display, **link} if link else display
        return {"display_value": display, **link, "value": sys_id}

    def _journal_texts(self, rows: Sequence[Incident], fields: Sequence[str]) -> dict[tuple[str, str], str]:
        """Journal fields show their entries as text when display values are asked for (one query)."""
        wanted = [name for name in JOURNAL_NAMES if name in fields]
        if self.mode == DisplayMode.VALUE or not wanted or not rows:
            return {}
        texts: dict[tuple[str, str], str] = {}
        for entry in repository.journals_for(self.session, [r.sys_id for r in rows], wanted):
            label = JOURNAL_LABELS[Journal(entry.element)]
            heading = f"{sn_datetime(entry.sys_created_on)} - {entry.sys_created_by} ({label})"
            key = (entry.element_id, entry.element)
            texts[key] = texts.get(key, "") + f"{heading}\n{entry.value}\n\n"
        return texts
