"""Polling the instance for changed incidents, with the watermark stored after every page.

Each page is asked for from the newest stored watermark (offset 0), so that an incident changed while a
poll runs cannot shift the offsets and hide another; the instance's ``Link: rel="next"`` offset is
followed only while the watermark stays within one second (more records of one second than a page
holds). The watermark is stored in its own writer unit after the page's incidents were handled, never
across the HTTP call, together with the page's rows of the mirror (``servicenow_incident``): a restart
(or a kill) repeats at most the page in hand, and ``handle`` must be safe to run twice for one page (the
outbox's idempotency keys make the connector's writes so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicenow import errors, repository, service
from m365bridge.connector.servicenow.client import InstanceClient
from m365bridge.connector.servicenow.records import InstanceIncident
from m365bridge.shared.db import transaction


@dataclass(frozen=True)
class PollResult:
    handled: int
    requests: int
    complete: bool  # False when max_pages stopped it before the instance ran out of changes


def poll_changes(
    context: ConnectorContext,
    client: InstanceClient,
    handle: Callable[[Sequence[InstanceIncident]], None],
    *,
    page_size: int = 100,
    max_pages: int = 1000,
) -> PollResult:
    with transaction(context.sessions) as session:
        mark = service.watermark(session)
    handled = requests = 0
    offset = 0
    while requests < max_pages:
        second = mark.updated_on
        try:
            page = client.list_changed(mark, limit=page_size, offset=offset)
        except errors.ServiceNowError as error:
            # The stored watermark is where the next poll starts; say why this one stopped (D1).
            with transaction(context.sessions, write=True) as session:
                errors.log_failure(
                    session, error, operation="polling incidents", instance_url=client.base_url
                )
            raise
        requests += 1
        if page.incidents:
            handle(page.incidents)
            handled += len(page.incidents)
        if page.watermark != mark:
            mark = page.watermark
            with transaction(context.sessions, write=True) as session:
                repository.mirror(session, page.incidents)
                service.store_watermark(session, mark)
        if not page.has_more:
            return PollResult(handled, requests, complete=True)
        # A newer second: ask again from it; the same second: walk on through its records.
        offset = 0 if mark.updated_on != second else (page.next_offset or 0)
    return PollResult(handled, requests, complete=False)
