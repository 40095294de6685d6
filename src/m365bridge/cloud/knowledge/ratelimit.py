"""A per-process sliding-window rate limiter, keyed by caller (client address or tenant)."""

from __future__ import annotations

import threading
import time
from collections import deque

from m365bridge.shared.errors import UserError


class RateLimited(UserError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many searches; try again in {retry_after} s or authenticate for a higher limit"
        )
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, window_seconds: float = 60.0) -> None:
        self.window = window_seconds
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> None:
        """Count a call for ``key``; raise ``RateLimited`` when it exceeds ``limit`` calls per window."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= limit:
                raise RateLimited(max(1, int(calls[0] + self.window - now) + 1))
            calls.append(now)
