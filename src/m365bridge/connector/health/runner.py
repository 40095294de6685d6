"""The periodic background runner the app can start: syncs service health and purges the outbound log.

Which OAuth provider to use is the setup's decision, so the runner asks ``resolve_entity`` each time; until
setup has chosen one it does nothing but housekeeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.auto_incidents import apply_auto_incidents
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.logs import http_log
from m365bridge.shared.db import transaction

logger = logging.getLogger(__name__)


class HealthSyncRunner:
    def __init__(
        self,
        context: ConnectorContext,
        resolve_entity: Callable[[], str | None],
        *,
        graph_url: Callable[[], str | None] = lambda: None,
        after_sync: Callable[[ConnectorContext], object] = apply_auto_incidents,
    ) -> None:
        self._context = context
        self._after_sync = after_sync
        self._resolve_entity = resolve_entity
        self._graph_url = graph_url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        interval = self._context.settings.health_sync_interval_seconds
        if interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="health-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_once(self) -> None:
        with transaction(self._context.sessions, write=True) as session:
            http_log.purge(session, retention_days=self._context.settings.http_log_retention_days)
        entity_id = self._resolve_entity()
        if entity_id:
            outcome = sync_service_health(self._context, entity_id=entity_id, graph_url=self._graph_url())
            if outcome.ran:
                self._after_sync(self._context)

    def _loop(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a background thread must survive a bad run and try again next time
                logger.exception("service health background run failed")
            self._stop.wait(interval)
