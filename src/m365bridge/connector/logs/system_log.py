"""Writing, reading and purging the system log.

Callers pass a session they own; the line is committed with their unit of work. Never put a password,
secret or token in ``message`` or ``context``: refusals describe the reason, not the credential.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy.orm import Session

from m365bridge.connector.logs import repository
from m365bridge.connector.logs.models import SystemLogLine
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow

APP_SOURCE = "x_mioms_m365_assis"
Level = Literal["debug", "info", "warning", "error"]
LEVELS: tuple[str, ...] = ("debug", "info", "warning", "error")


def write(
    session: Session,
    level: Level,
    message: str,
    *,
    source: str = APP_SOURCE,
    context: dict[str, Any] | None = None,
) -> SystemLogLine:
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}")
    line = SystemLogLine(level=level, message=message, source=source, context=context, created_at=utcnow())
    session.add(line)
    session.flush()
    return line


def search(
    session: Session,
    *,
    source: str | None = None,
    level: str | None = None,
    since: dt.datetime | None = None,
    text: str | None = None,
    limit: int = 200,
) -> Sequence[SystemLogLine]:
    """Newest first. ``level`` means that level or worse."""
    if level and level not in LEVELS:
        raise UserError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    levels = LEVELS[LEVELS.index(level) :] if level else None
    return repository.search_lines(session, source=source, levels=levels, since=since, text=text, limit=limit)


def purge(session: Session, retention_days: int, *, now: dt.datetime | None = None) -> int:
    """Delete lines older than ``retention_days``; returns how many went."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    return repository.delete_lines_before(session, cutoff)
