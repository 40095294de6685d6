"""The outbox worker: delivers case events to each case's repository, in per-case order, at least once
and normally exactly once (the receiver deduplicates on the event id for the rare lease takeover).

A worker claims due events with a lease (and SKIP LOCKED on PostgreSQL), posts each to
``{endpoint}/v1/events`` with the repository's authentication, then records the outcome only if it still
holds the lease. Failures back off exponentially with jitter, honour Retry-After, and after
``outbox_max_attempts`` tries the event is dead-lettered; later events of that case wait behind it until
an engineer retries it from the console.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from m365bridge.cloud.cases import repository
from m365bridge.cloud.cases.models import DEAD, DELIVERED, PENDING
from m365bridge.cloud.connectors.auth import ConnectorAuth
from m365bridge.cloud.connectors.client import (
    ConnectorClient,
    GrantRejected,
    PermanentError,
    RetriableError,
    Unauthorized,
    shared_http,
)
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.integration import repository as integration_repository
from m365bridge.cloud.integration.models import SupportRepository
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.secretbox import SecretBoxError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    event_id: str
    attempts: int
    payload: str
    target: SupportRepository | None
    where: str


class DeliveryWorker:
    def __init__(
        self,
        context: CloudContext,
        http: httpx.Client,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
        name: str | None = None,
    ) -> None:
        self._context = context
        self._settings = context.settings
        self._client = ConnectorClient(http)
        self._auth = ConnectorAuth(context, self._client, clock)
        self._clock = clock
        self._rng = rng or random.Random()
        self.name = name or f"worker-{uuid.uuid4().hex[:12]}"
        register_metrics(context)

    def run_once(self, limit: int = 20) -> int:
        """Try every due event this worker can claim (at most one per case); returns how many it tried."""
        tried = 0
        for event_id in self._claim(limit):
            self._deliver(event_id)
            tried += 1
        return tried

    def run_until_idle(self, max_rounds: int = 1000) -> int:
        """Keep going while events are due (a delivered event makes its successor due at once)."""
        total = 0
        for _ in range(max_rounds):
            tried = self.run_once()
            if not tried:
                break
            total += tried
        return total

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                tried = self.run_once()
            except Exception:  # a database hiccup must not kill the worker thread; log it and go on
                log.exception("outbox worker round failed")
                tried = 0
            if not tried:
                stop.wait(self._settings.outbox_poll_seconds)

    def _claim(self, limit: int) -> list[str]:
        now = self._clock()
        lease_until = now + dt.timedelta(seconds=self._settings.outbox_lease_seconds)
        with transaction(self._context.sessions) as session:
            if not repository.any_due(session, now):
                return []
        with transaction(self._context.sessions, write=True) as session:
            return repository.claim_due(session, self.name, now, lease_until, limit)

    def _load(self, event_id: str) -> Claimed:
        with transaction(self._context.sessions) as session:
            event = repository.event(session, event_id)
            assert event is not None
            case = repository.case(session, event.case_id)
            assert case is not None
            target = integration_repository.repository(session, case.tenant_id, case.repository_id)
            where = f"case {case.number} repository {case.repository_id}"
            return Claimed(event.id, event.attempts, event.payload, target, where)

    def _deliver(self, event_id: str) -> None:
        claimed = self._load(event_id)
        target = claimed.target
        if target is None or not target.deliverable:
            self._failed(claimed, "the repository is missing or has no endpoint; fix it in the admin center")
            return
        try:
            self._post(target, claimed.payload)
        except (GrantRejected, SecretBoxError) as exc:
            # Wrong or unreadable credentials: an admin can fix them, so keep trying until the limit.
            self._failed(claimed, f"authentication failed: {exc}")
        except PermanentError as exc:
            self._finish(claimed, state=DEAD, last_error=f"refused: {exc}")
        except RetriableError as exc:
            self._failed(claimed, str(exc), exc.retry_after)
        else:
            self._finish(claimed, state=DELIVERED, delivered_at=self._clock(), last_error=None)

    def _post(self, target: SupportRepository, payload: str) -> None:
        try:
            self._client.post_event(target.endpoint, self._auth.bearer(target), payload)
        except Unauthorized:
            self._auth.forget_access_token(target)
            self._client.post_event(target.endpoint, self._auth.bearer(target), payload)

    def _failed(self, claimed: Claimed, error: str, retry_after: float | None = None) -> None:
        attempt = claimed.attempts + 1
        if attempt >= self._settings.outbox_max_attempts:
            log.warning(
                "event %s of %s dead-lettered after %d tries", claimed.event_id, claimed.where, attempt
            )
            self._finish(claimed, state=DEAD, last_error=error)
            return
        delay = backoff_seconds(
            attempt,
            self._settings.outbox_backoff_base_seconds,
            self._settings.outbox_backoff_max_seconds,
            retry_after,
            self._rng,
        )
        self._finish(claimed, last_error=error, next_attempt_at=self._clock() + dt.timedelta(seconds=delay))

    def _finish(self, claimed: Claimed, **values: object) -> None:
        with transaction(self._context.sessions, write=True) as session:
            if not repository.finish(session, claimed.event_id, self.name, **values):
                log.warning("lease on event %s was lost before its outcome was recorded", claimed.event_id)


def register_metrics(context: CloudContext) -> None:
    """Outbox depth and dead letters, counted at each scrape (registering twice is harmless)."""

    def counter(state: str) -> Callable[[], float]:
        def count() -> float:
            with transaction(context.sessions) as session:
                return repository.count_in_state(session, state)

        return count

    context.metrics.gauge("outbox_depth", "Case events waiting to be delivered.", function=counter(PENDING))
    context.metrics.gauge("outbox_dead_letters", "Case events given up on.", function=counter(DEAD))


def backoff_seconds(
    attempt: int, base: float, ceiling: float, retry_after: float | None, rng: random.Random
) -> float:
    """Exponential backoff with equal jitter (half fixed, half random), never sooner than Retry-After."""
    window = min(ceiling, base * 2 ** (attempt - 1))
    delay = window / 2 + rng.uniform(0, window / 2)
    return max(delay, retry_after or 0.0)


def start_background(context: CloudContext) -> tuple[threading.Thread, threading.Event]:
    """Run a worker in a daemon thread until the returned event is set (the app does this on startup)."""
    stop = threading.Event()
    worker = DeliveryWorker(context, shared_http(context), name=f"app-{uuid.uuid4().hex[:8]}")
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="outbox-worker", daemon=True)
    thread.start()
    return thread, stop
