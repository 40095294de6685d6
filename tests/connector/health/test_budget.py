from __future__ import annotations

import pytest

from m365bridge.connector.health.budget import BudgetExhausted, RequestBudget


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_minute_burst_of_240_goes_out_then_requests_are_paced() -> None:
    fake = FakeTime()
    budget = RequestBudget(clock=fake.clock, sleep=fake.sleep)
    for _ in range(240):
        budget.acquire()
    assert fake.slept == []
    budget.acquire()
    assert fake.slept == [pytest.approx(0.25)]


def test_past_the_hourly_budget_a_run_stops_rather_than_wait_longer_than_allowed() -> None:
    fake = FakeTime()
    budget = RequestBudget(clock=fake.clock, sleep=fake.sleep, max_wait=1)
    sent = 0
    with pytest.raises(BudgetExhausted) as caught:
        while True:
            budget.acquire()
            sent += 1
    # 800 an hour plus what refilled while the minute bucket paced the rest at 4 a second.
    assert 800 <= sent < 900
    assert caught.value.wait_seconds == pytest.approx(3600 / 800, abs=0.5)
