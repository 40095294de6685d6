"""Inbound refusals in the system log, bounded so that a flood of anonymous calls cannot flood the log.

Every refused inbound call used to write a line of its own, with the request path and the user name it
named at full length, kept for the system log's retention. Now:
- the path, the reason and each string fact (user name, client id …) are cut to a fixed length;
- each caller address gets ``LINES_PER_MINUTE`` lines of its own per minute (a window that starts with its
  first refusal), so the first refusals, the ones an administrator and the doctor read, stay as they were;
- past that, one line per address and window counts the rest: it shows the newest reason and how many
  refusals it stands for, updated in place.

The windows are kept per process (``context.extras``), for at most ``MAX_ADDRESSES`` addresses; addresses
beyond that share one window. With several processes each has its own budget.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import system_log
from m365bridge.connector.logs.models import SystemLogLine
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow

PREFIX = "Inbound request refused: "
WINDOW = dt.timedelta(minutes=1)
LINES_PER_MINUTE = 50
MAX_ADDRESSES = 10_000
OTHER_ADDRESSES = "(other addresses)"
MAX_PATH = 200
MAX_REASON = 300
MAX_VALUE = 100
EXTRAS_KEY = "refusal_windows"


@dataclass
class _Window:
    started: dt.datetime
    lines: int = 0
    counted: int = 0
    summary_id: str | None = None


class RefusalWindows:
    """Per address, how many refusals the current window has logged, and its summary line."""

    def __init__(self, max_addresses: int = MAX_ADDRESSES) -> None:
        self._max_addresses = max_addresses
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def claim(self, address: str, now: dt.datetime) -> tuple[str, _Window, bool]:
        """The window's key, the window, and whether this refusal gets a line of its own."""
        with self._lock:
            key = self._key(address, now)
            window = self._windows.get(key)
            if window is None or now - window.started >= WINDOW:
                window = self._windows[key] = _Window(started=now)
            if window.lines < LINES_PER_MINUTE:
                window.lines += 1
                return key, window, True
            window.counted += 1
            return key, window, False

    def _key(self, address: str, now: dt.datetime) -> str:
        if address in self._windows or len(self._windows) < self._max_addresses:
            return address
        # Full: forget closed windows before sending a new address to the shared one.
        for old in [key for key, window in self._windows.items() if now - window.started >= WINDOW]:
            del self._windows[old]
        return address if len(self._windows) < self._max_addresses else OTHER_ADDRESSES


def windows_of(context: ConnectorContext) -> RefusalWindows:
    found = context.extras.get(EXTRAS_KEY)
    if not isinstance(found, RefusalWindows):
        found = context.extras.setdefault(EXTRAS_KEY, RefusalWindows())
    return found


def log_refusal(
    context: ConnectorContext, why: str, *, path: str, method: str, address: str, facts: dict[str, Any]
) -> None:
    """Write the refusal (never a credential: ``why`` and ``facts`` describe, they do not quote)."""
    now = utcnow()
    key, window, own_line = windows_of(context).claim(address[:MAX_VALUE], now)
    reason = _cut(why, MAX_REASON)
    line = {
        "path": _cut(path, MAX_PATH),
        "method": method[:10],
        "address": address[:MAX_VALUE],
        **{name: _bounded(value) for name, value in facts.items()},
    }
    with transaction(context.sessions, write=True) as session:
        if own_line:
            system_log.write(session, "warning", PREFIX + reason, context=line)
            return
        summary = session.get(SystemLogLine, window.summary_id) if window.summary_id else None
        message = f"{PREFIX}{reason} (this line stands for {window.counted} more refusals from {key} since "
        message += f"{window.started:%H:%M:%S} UTC, not logged one by one)"
        counted = {**line, "address": key, "refusals": window.counted}
        if summary is None:
            window.summary_id = system_log.write(session, "warning", message, context=counted).id
        else:
            summary.message, summary.context = message, counted


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded(value: Any) -> Any:
    if isinstance(value, str):
        return _cut(value, MAX_VALUE)
    if isinstance(value, list):
        return [_bounded(item) for item in value[:20]]
    return value
