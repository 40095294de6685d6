"""The log lines that show a problem: the system log (D1) and the outbound HTTP log (D2), as short text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from m365bridge.connector.logs import http_log, system_log
from m365bridge.connector.logs.models import OutboundHttpRequest, SystemLogLine
from m365bridge.shared.orm import utcnow

# How far back the doctor reads the logs: old failures that were since fixed should not fail it.
WINDOW = dt.timedelta(days=1)
SHOWN = 5


def since() -> dt.datetime:
    return utcnow() - WINDOW


def log_lines(session: Session, text: str, *, level: str | None = None) -> list[SystemLogLine]:
    """The app's system-log lines of the last day containing ``text``, newest first."""
    source = system_log.APP_SOURCE
    return list(system_log.search(session, source=source, text=text, level=level, since=since(), limit=50))


def http_calls(session: Session, *, host: str, errors_only: bool = False) -> list[OutboundHttpRequest]:
    """The outbound calls of the last day to ``host``, newest first."""
    return list(http_log.search(session, host=host, since=since(), errors_only=errors_only, limit=50))


def recent_calls(session: Session) -> list[OutboundHttpRequest]:
    """Every outbound call of the last day, newest first."""
    return list(http_log.search(session, since=since(), limit=200))


def describe_line(line: SystemLogLine) -> str:
    context = f" {line.context}" if line.context else ""
    return f"system log {_stamp(line.created_at)} {line.level}: {line.message}{context}"


def describe_call(call: OutboundHttpRequest) -> str:
    outcome = str(call.status) if call.status is not None else "no answer"
    error = f" ({call.error})" if call.error else ""
    when = _stamp(call.created_at)
    return f"outbound HTTP {when} [{call.source}] {call.method} {call.url} → {outcome}{error}"


def lines(items: Iterable[SystemLogLine]) -> tuple[str, ...]:
    return tuple(describe_line(line) for line in list(items)[:SHOWN])


def calls(items: Iterable[OutboundHttpRequest]) -> tuple[str, ...]:
    return tuple(describe_call(call) for call in list(items)[:SHOWN])


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
