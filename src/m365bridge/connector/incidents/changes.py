"""Reading the fields a caller wants to write (Table API body, form, another feature) into checked values.

Pure: no database. Unknown and read-only fields are ignored, as ServiceNow's Table API ignores them; a
value a writable field cannot hold is refused with a message naming the field and what it accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.incidents.table import (
    CLOSE_CODES,
    IMPACT_LABELS,
    REFERENCE_FIELDS,
    STATE_LABELS,
    TEXT_MAX_LENGTHS,
    URGENCY_LABELS,
    WRITABLE_FIELDS,
    Journal,
)
from m365bridge.shared.errors import UserError
from m365bridge.shared.numbers import ascii_digits

_INTEGER_CHOICES: dict[str, Mapping[int, str]] = {
    "state": STATE_LABELS,
    "impact": IMPACT_LABELS,
    "urgency": URGENCY_LABELS,
}


@dataclass
class Changes:
    """Checked column values, references still to resolve, and journal entries to append."""

    values: dict[str, Any] = field(default_factory=dict)
    references: dict[str, str | None] = field(default_factory=dict)
    journal: list[tuple[Journal, str]] = field(default_factory=list)


def read_changes(fields: Mapping[str, Any]) -> Changes:
    changes = Changes()
    for name, raw in fields.items():
        if name in (Journal.WORK_NOTES, Journal.COMMENTS):
            text = _bounded_text(name, raw)
            if text.strip():
                changes.journal.append((Journal(name), text))
        elif name in REFERENCE_FIELDS and name in WRITABLE_FIELDS:
            reference = _text(name, raw).strip()
            changes.references[name] = reference or None
        elif name in _INTEGER_CHOICES:
            changes.values[name] = _choice(name, raw, _INTEGER_CHOICES[name])
        elif name == "close_code":
            changes.values[name] = _close_code(raw)
        elif name in WRITABLE_FIELDS:
            changes.values[name] = _bounded_text(name, raw)
    return changes


def _text(name: str, raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise UserError(f"Invalid value for field {name}: give a string, not {type(raw).__name__}.")
    return str(raw)


def _bounded_text(name: str, raw: Any) -> str:
    text = _text(name, raw)
    length = TEXT_MAX_LENGTHS.get(name) or getattr(Incident.__table__.c[name].type, "length", None)
    if length is not None and len(text) > length:
        raise UserError(f"Invalid value for field {name}: at most {length} characters, got {len(text)}.")
    return text


def _choice(name: str, raw: Any, labels: Mapping[int, str]) -> int:
    text = _text(name, raw).strip()
    number = text[1:] if text.startswith("-") else text
    if ascii_digits(number) and len(number) < 10 and int(text) in labels:
        return int(text)
    allowed = ", ".join(f"{value} ({label})" for value, label in labels.items())
    raise UserError(f"Invalid value {text!r} for field {name}: use one of {allowed}.")


def _close_code(raw: Any) -> str:
    text = _text("close_code", raw).strip()
    if text and text not in CLOSE_CODES:
        raise UserError(f"Invalid value {text!r} for field close_code: use one of {', '.join(CLOSE_CODES)}.")
    return text
