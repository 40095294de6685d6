"""The background thread the app starts to run the purge every ``housekeeping_interval_seconds``.

The first pass runs one interval after start-up, not at once, so that starting the app (and every test
that starts it) does not race a purge for the database.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.housekeeping.purge import purge_all
from m365bridge.connector.logs import system_log
from m365bridge.shared.db import transaction

logger = logging.getLogger(__name__)


class HousekeepingRunner:
    def __init__(self, context: ConnectorContext) -> None:
        self._context = context
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread, unless the interval is 0 (disabled) or it already runs."""
        interval = self._context.settings.housekeeping_interval_seconds
        if interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def run_once(self) -> dict[str, int]:
        removed = purge_all(self._context)
        if any(removed.values()):
            with transaction(self._context.sessions, write=True) as session:
                system_log.write(session, "info", "Housekeeping purged old rows", context=removed)
        return removed

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.run_once()
            except SQLAlchemyError:  # a locked or full database must not end the thread; next pass retries
                logger.exception("housekeeping pass failed")
