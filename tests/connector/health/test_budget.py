from __future__ import annotations

import random
from bisect import bisect_left

import pytest

from m365bridge.connector.health.budget import MARGIN_SECONDS, BudgetExhausted, RequestBudget
from tests.support.clock import VirtualClock


def test_a_minute_burst_of_240_goes_out_then_the_next_waits_for_the_first_to_leave_the_window() -> None:
    fake = VirtualClock()
    budget = RequestBudget(clock=fake, sleep=fake.sleep)
    for _ in range(240):
        budget.acquire()
    assert fake.sleeps == []
    budget.acquire()
    assert fake.sleeps == [pytest.approx(60 + MARGIN_SECONDS)]


def test_past_the_hourly_budget_a_run_stops_rather_than_wait_longer_than_allowed() -> None:
    fake = VirtualClock()
    budget = RequestBudget(clock=fake, sleep=fake.sleep, max_wait=90)
    sent = 0
    with pytest.raises(BudgetExhausted) as caught:
        while True:
            budget.acquire()
            sent += 1
    assert sent == 800
    # The first of the 800 leaves the hour (plus the margin) that long after now.
    assert caught.value.wait_seconds == pytest.approx(3600 + MARGIN_SECONDS - fake.now)


def test_no_sliding_window_ever_holds_more_than_graph_allows() -> None:
    fake = VirtualClock()
    budget = RequestBudget(clock=fake, sleep=fake.sleep, max_wait=4000)
    rng = random.Random(8)
    sent: list[float] = []
    for _ in range(2000):
        fake.now += rng.choice([0.0, 0.0, 0.01, 0.3, 2.0, 30.0])
        budget.acquire()
        sent.append(fake.now)
    for limit, seconds in ((240, 60.0), (800, 3600.0)):
        # The busiest window starts at some send: count the sends in [start, start + seconds).
        busiest = max(bisect_left(sent, start + seconds) - i for i, start in enumerate(sent))
        assert busiest <= limit
    assert len(sent) == 2000
