"""Graph's service-communications throttling: per app per tenant, a short and a long sliding window.

The windows live in this process's memory, which is right for one cloud process. A deployment that runs
several cloud processes behind a load balancer needs a shared store (e.g. Redis sorted sets) instead, or each
process allows the full budget on its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


class Throttle:
    """Admits a request if every window still has room; otherwise says how long to wait."""

    def __init__(self, windows: list[Window], clock: Callable[[], float] = time.monotonic) -> None:
        self.windows = windows
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], deque[float]] = {}

    def admit(self, app_id: str, tenant_id: str) -> float | None:
        """``None`` when admitted (and counted); else the seconds until a slot frees up."""
        now = self.clock()
        longest = max(window.seconds for window in self.windows)
        with self._lock:
            seen = self._seen.setdefault((app_id, tenant_id), deque())
            while seen and seen[0] <= now - longest:
                seen.popleft()
            wait = max((self._wait(seen, window, now) for window in self.windows), default=0.0)
            if wait > 0:
                return wait
            seen.append(now)
            return None

    @staticmethod
    def _wait(seen: deque[float], window: Window, now: float) -> float:
        inside = [t for t in seen if t > now - window.seconds] if len(seen) >= window.limit else []
        if len(inside) < window.limit:
            return 0.0
        # The request that must leave the window before one more fits.
        return inside[len(inside) - window.limit] + window.seconds - now


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
