"""The background thread that keeps the connector in step with the ServiceNow instance in use.

Every ``servicenow_poll_seconds`` (or at once when woken by a push, ``wake``), one pass:

1. poll the changed incidents from the stored watermark (``poll.poll_changes``, which refreshes the mirror);
2. hand each page to the registered change handlers (``register_change_handler``), when the admin's agent
   view includes work notes and this is not the instance's first poll (its history); a page may reach
   them twice after a kill (at most the page in hand), so handlers must be idempotent (their writes
   carry idempotency keys);
3. mirror the incidents features read since the last pass, deliver the outbox (``outbox.deliver_due``), and
   give auto-incident links the incidents the instance created for them.

The thread runs in every app, whether the instance is in use or not, so that enabling it takes effect
without a restart; while the built-in desk is in use a pass is one small read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.auto_incidents import adopt_created_incidents
from m365bridge.connector.logs import system_log
from m365bridge.connector.servicedesk import instance_desk, outbox
from m365bridge.connector.servicedesk.port import DeskIncident
from m365bridge.connector.servicenow import errors, repository, service
from m365bridge.connector.servicenow.desk import InstanceWriter, view
from m365bridge.connector.servicenow.poll import poll_changes
from m365bridge.connector.servicenow.records import InstanceIncident, Watermark
from m365bridge.connector.worknotes.service import post_insight_notes
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

logger = logging.getLogger(__name__)

EPOCH = "1970-01-01 00:00:00"  # a watermark before every incident: "polled once, found none"

ChangeHandler = Callable[[ConnectorContext, Sequence[DeskIncident]], object]  # what it returns is its own

# The insights work notes (work-note mode) are the product's own handler; tests and benchmarks add theirs.
_handlers: list[ChangeHandler] = [post_insight_notes]


def register_change_handler(handler: ChangeHandler) -> None:
    """Call ``handler`` with every page of changed instance incidents (once per handler)."""
    if handler not in _handlers:
        _handlers.append(handler)


def unregister_change_handler(handler: ChangeHandler) -> None:
    if handler in _handlers:
        _handlers.remove(handler)


@dataclass(frozen=True)
class PassResult:
    in_use: bool
    changed: int = 0
    poll_requests: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    adopted: int = 0


# Incidents per poll request. Each request costs the instance a round of authentication and a count, so a
# large page catches up much faster (bench/servicenow_catchup.py: 5,000 changes in 6 requests instead of
# 51); the price is the page a kill -9 repeats to the handlers. The Table API's own cap is 10,000.
PAGE_SIZE = 1000


def sync_once(context: ConnectorContext, *, page_size: int = PAGE_SIZE) -> PassResult:
    """One pass (see the module docstring); raises ``ServiceNowError`` when the poll fails (logged)."""
    with transaction(context.sessions) as session:
        if not service.instance_in_use(session):
            return PassResult(in_use=False)
        # The first poll of an instance reads its whole history into the mirror: old incidents are not
        # "created or changed", so handlers start with the second.
        first = not service.watermark(session).updated_on
        notify = service.posts_work_notes(session) and not first
    client = service.open_client(context)
    try:
        base_url = client.base_url

        def handle(page: Sequence[InstanceIncident]) -> None:
            if notify and _handlers:
                _notify(context, [view(incident, base_url) for incident in page])

        polled = poll_changes(context, client, handle, page_size=page_size)
        if first and polled.complete:
            _mark_polled(context)
        seen = instance_desk(context).take_seen()
        if seen:
            with transaction(context.sessions, write=True) as session:
                repository.mirror(session, seen)
        delivery = outbox.deliver_due(context.sessions, InstanceWriter(client))
    finally:
        client.close()
    if delivery.failed:
        with transaction(context.sessions, write=True) as session:
            system_log.write(
                session,
                "error",
                f"ServiceNow instance: {delivery.failed} write(s) refused for good; the outbox keeps "
                "each with the instance's answer (x_mioms_m365_assis_desk_outbox.last_error).",
            )
    adopted = adopt_created_incidents(context) if delivery.delivered else 0
    return PassResult(
        in_use=True,
        changed=polled.handled,
        poll_requests=polled.requests,
        delivered=delivery.delivered,
        retrying=delivery.retrying,
        failed=delivery.failed,
        adopted=adopted,
    )


def _mark_polled(context: ConnectorContext) -> None:
    """An instance without incidents leaves the watermark empty: store the epoch, so that the next poll
    is not taken for the first (its incidents are new, and handlers get them)."""
    with transaction(context.sessions, write=True) as session:
        if not service.watermark(session).updated_on:
            service.store_watermark(session, Watermark(EPOCH))


def _notify(context: ConnectorContext, incidents: Sequence[DeskIncident]) -> None:
    for handler in list(_handlers):
        try:
            handler(context, incidents)
        except Exception:
            # One handler's bug must not stop the poll (nor the other handlers) for every incident after it.
            logger.exception("ServiceNow change handler %r failed", handler)


class InstanceRunner:
    def __init__(self, context: ConnectorContext) -> None:
        self._context = context
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Start the thread, unless the interval is 0 (disabled) or it already runs. The first pass comes
        one interval after start-up (or at the first push), so starting the app races nothing."""
        interval = self._context.settings.servicenow_poll_seconds
        if interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="servicenow-runner", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Run a pass now (a push from the instance said something changed)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self, interval: float) -> None:
        while True:
            self._wake.wait(interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                sync_once(self._context)
            except errors.ServiceNowError as error:
                # Logged by the poll (system log); the stored watermark is where the next pass starts.
                logger.warning("ServiceNow pass stopped: %s", error.explain())
            except UserError as error:  # e.g. the stored URL no longer allowed: the admin must configure
                logger.warning("ServiceNow pass not run: %s", error)
            except SQLAlchemyError:  # a locked database must not end the thread; the next pass retries
                logger.exception("ServiceNow pass failed")
