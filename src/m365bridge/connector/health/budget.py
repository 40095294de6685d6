"""Staying inside Graph's service-communications throttling budget (240 requests a minute, 800 an hour).

Graph counts requests in sliding windows, so the budget keeps the send times of the last requests, one log
per window, and a request goes out only when every window has room. (A token bucket of the same rate would
let a burst of 240 be followed at once by 4 more a second, which a sliding window refuses for a minute.)
Waiting for room is bounded: a run that would wait longer than ``max_wait`` stops with a retriable error
instead, and the next scheduled run picks up where the watermark left off.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

GRAPH_LIMITS = ((240, 60.0), (800, 3600.0))
# Graph stamps a request when it arrives, a little after we stamp it here: wait this much longer than the
# window so the oldest request has surely left Graph's window too.
MARGIN_SECONDS = 1.0


class BudgetExhausted(Exception):
    """The local budget has no room for another request soon enough; retry later."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"Graph request budget exhausted; next request possible in {wait_seconds:.0f} s.")
        self.wait_seconds = wait_seconds


@dataclass
class SlidingWindow:
    limit: int
    seconds: float
    sent: deque[float] = field(default_factory=deque)

    def wait_time(self, now: float) -> float:
        span = self.seconds + MARGIN_SECONDS
        while self.sent and self.sent[0] <= now - span:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[len(self.sent) - self.limit] + span - now

    def take(self, now: float) -> None:
        self.sent.append(now)


class RequestBudget:
    def __init__(
        self,
        limits: tuple[tuple[int, float], ...] = GRAPH_LIMITS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 120.0,
    ) -> None:
        self._windows = [SlidingWindow(limit, seconds) for limit, seconds in limits]
        self._clock, self._sleep, self.max_wait = clock, sleep, max_wait
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Count one request in every window, first sleeping until all have room (at most ``max_wait``)."""
        with self._lock:
            wait = max(window.wait_time(self._clock()) for window in self._windows)
            if wait > self.max_wait:
                raise BudgetExhausted(wait)
            if wait > 0:
                self._sleep(wait)
            now = self._clock()
            for window in self._windows:
                window.take(now)
