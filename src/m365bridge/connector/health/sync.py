"""The service health sync job: Graph's issues and messages into local tables, incrementally, one at a time.

Each collection is read with ``$filter=lastModifiedDateTime ge (watermark - skew)`` and every page is stored
in its own short transaction (never holding a write transaction across an HTTP call). The watermark moves
only after a collection was read to its last page, so an interrupted run repeats work rather than skip it;
upserts keep the newest version, so repeating is harmless. Messages can leave Graph's feed without a trace
in an incremental read, so a periodic full read also deletes the messages it no longer returned.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository
from m365bridge.connector.health.budget import BudgetExhausted, RequestBudget
from m365bridge.connector.health.client import GRAPH_RESOURCE, GraphClient, GraphError, Page
from m365bridge.connector.health.models import SyncRun
from m365bridge.connector.http import outbound_client
from m365bridge.connector.registry.token_client import TokenError, token_client
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow

logger = logging.getLogger(__name__)

LEASE = "service_health"
LEASE_TTL = dt.timedelta(minutes=10)


@dataclass
class SyncOutcome:
    ran: bool
    run_id: int | None = None
    full: bool = False
    issues: int = 0
    messages: int = 0
    removed: int = 0
    requests: int = 0
    refused: int = 0
    error: str | None = None


def sync_service_health(
    context: ConnectorContext,
    *,
    entity_id: str,
    graph_url: str | None = None,
    full: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    budget: RequestBudget | None = None,
) -> SyncOutcome:
    """Run one sync unless another is running (then return ``ran=False`` at once)."""
    holder = uuid.uuid4().hex
    if not _claim(context, holder):
        return SyncOutcome(ran=False)
    outcome = SyncOutcome(ran=True)
    with transaction(context.sessions, write=True) as session:
        outcome.run_id = repository.add_run(session, SyncRun(started_at=utcnow())).id
    settings = context.settings
    try:
        with outbound_client(context, name="service_health") as http:
            graph = GraphClient(
                http,
                base_url=graph_url or settings.graph_url,
                access_token=lambda: token_client(context).get_token(entity_id, GRAPH_RESOURCE),
                budget=budget or _shared_budget(context, sleep, settings.health_max_retry_after_seconds),
                sleep=sleep,
                max_retry_after=settings.health_max_retry_after_seconds,
            )
            try:
                _SyncPass(context, graph, holder, outcome, force_full=full).run()
            finally:
                outcome.requests, outcome.refused = graph.requests, graph.refused
    except (GraphError, TokenError, BudgetExhausted) as exc:
        outcome.error = str(exc)
        logger.warning("service health sync failed: %s", exc)
    finally:
        _finish(context, holder, outcome)
    return outcome


def _shared_budget(
    context: ConnectorContext, sleep: Callable[[float], None], max_wait: float
) -> RequestBudget:
    """One budget per process: Graph counts every request of the app, not of one run."""
    existing = context.extras.get("graph_budget")
    if isinstance(existing, RequestBudget):
        return existing
    return context.extras.setdefault("graph_budget", RequestBudget(sleep=sleep, max_wait=max_wait))


def _claim(context: ConnectorContext, holder: str) -> bool:
    with transaction(context.sessions, write=True) as session:
        repository.ensure_lease_row(session, LEASE)
    with transaction(context.sessions, write=True) as session:
        return repository.claim_lease(session, LEASE, holder, utcnow(), LEASE_TTL)


def _finish(context: ConnectorContext, holder: str, outcome: SyncOutcome) -> None:
    with transaction(context.sessions, write=True) as session:
        run = session.get(SyncRun, outcome.run_id)
        if run is not None:
            run.finished_at = utcnow()
            run.full, run.requests, run.refused = outcome.full, outcome.requests, outcome.refused
            run.issues, run.messages, run.removed = outcome.issues, outcome.messages, outcome.removed
            run.error = outcome.error
        repository.release_lease(session, LEASE, holder)


class _SyncPass:
    def __init__(
        self,
        context: ConnectorContext,
        graph: GraphClient,
        holder: str,
        outcome: SyncOutcome,
        *,
        force_full: bool,
    ) -> None:
        self._context, self._graph, self._holder, self._outcome = context, graph, holder, outcome
        self._force_full = force_full

    def run(self) -> None:
        self._collection("issues", self._graph.issue_pages, repository.upsert_issue)
        self._collection("messages", self._graph.message_pages, repository.upsert_message)

    def _collection(
        self,
        name: str,
        pages: Callable[..., Iterator[Page]],
        upsert: Callable[..., bool],
    ) -> None:
        settings = self._context.settings
        started = utcnow()
        with transaction(self._context.sessions, write=True) as session:  # the first sync adds the row
            state = repository.sync_state(session, name)
            watermark, last_full = state.watermark, state.last_full_sync_at
        full = (
            self._force_full
            or last_full is None
            or started - last_full > dt.timedelta(hours=settings.health_full_sync_hours)
        )
        skew = dt.timedelta(seconds=settings.health_watermark_skew_seconds)
        since = None if full or watermark is None else watermark - skew
        self._outcome.full = self._outcome.full or full

        newest, seen = watermark, set[str]()
        for page in pages(modified_since=since):
            with transaction(self._context.sessions, write=True) as session:
                for item in page:
                    seen.add(item["id"])
                    changed = upsert(session, item)
                    self._count(name, changed)
                    modified = repository.parse_time(item.get("lastModifiedDateTime"))
                    if modified and (newest is None or modified > newest):
                        newest = modified
                repository.renew_lease(session, LEASE, self._holder, utcnow() + LEASE_TTL)

        with transaction(self._context.sessions, write=True) as session:
            if full and name == "messages":
                self._outcome.removed += repository.delete_messages_except(session, seen)
            state = repository.sync_state(session, name)
            state.watermark = newest
            if full:
                state.last_full_sync_at = started

    def _count(self, name: str, changed: bool) -> None:
        if changed and name == "issues":
            self._outcome.issues += 1
        elif changed:
            self._outcome.messages += 1
