"""Staying inside Graph's service-communications throttling budget (240 requests a minute, 800 an hour).

Two token buckets, one per window, both of which must have a token before a request goes out. Waiting for a
token is bounded: a run that would wait longer than ``max_wait`` stops with a retriable error instead, and
the next scheduled run picks up where the watermark left off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

GRAPH_LIMITS = ((240, 60.0), (800, 3600.0))


class BudgetExhausted(Exception):
    """The local budget has no room for another request soon enough; retry later."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"Graph request budget exhausted; next request possible in {wait_seconds:.0f} s.")
        self.wait_seconds = wait_seconds


@dataclass
class TokenBucket:
    capacity: int
    period: float
    tokens: float = field(init=False)
    updated: float | None = None

    def __post_init__(self) -> None:
        self.tokens = float(self.capacity)

    def _refill(self, now: float) -> None:
        if self.updated is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.capacity / self.period)
        self.updated = now

    def wait_time(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * self.period / self.capacity

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RequestBudget:
    def __init__(
        self,
        limits: tuple[tuple[int, float], ...] = GRAPH_LIMITS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 120.0,
    ) -> None:
        self._buckets = [TokenBucket(capacity, period) for capacity, period in limits]
        self._clock, self._sleep, self.max_wait = clock, sleep, max_wait
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Take one request's worth of every bucket, sleeping first if needed (at most ``max_wait``)."""
        with self._lock:
            wait = max(bucket.wait_time(self._clock()) for bucket in self._buckets)
            if wait > self.max_wait:
                raise BudgetExhausted(wait)
            if wait > 0:
                self._sleep(wait)
            now = self._clock()
            for bucket in self._buckets:
                bucket.take(now)
