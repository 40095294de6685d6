"""A clock for tests of code that waits: only the code's own sleeps move it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VirtualClock:
    """Seconds on a clock that only ``sleep`` moves; pass the clock itself where a ``time`` function goes."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
