"""The per-address windows behind the bounded refusal log, driven with explicit times."""

from __future__ import annotations

import datetime as dt

from m365bridge.connector.logs.refusals import LINES_PER_MINUTE, OTHER_ADDRESSES, RefusalWindows

START = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def own_lines(windows: RefusalWindows, address: str, count: int, at: dt.datetime) -> int:
    return sum(windows.claim(address, at)[2] for _ in range(count))


def test_each_address_has_its_own_budget_and_a_new_window_after_a_minute():
    windows = RefusalWindows()

    assert own_lines(windows, "10.0.0.1", LINES_PER_MINUTE + 5, START) == LINES_PER_MINUTE
    assert own_lines(windows, "10.0.0.2", 3, START) == 3
    assert own_lines(windows, "10.0.0.1", 1, START + dt.timedelta(seconds=59)) == 0
    assert own_lines(windows, "10.0.0.1", 1, START + dt.timedelta(seconds=60)) == 1


def test_addresses_beyond_the_cap_share_one_window():
    windows = RefusalWindows(max_addresses=2)
    own_lines(windows, "10.0.0.1", 1, START)
    own_lines(windows, "10.0.0.2", 1, START)

    key, _, _ = windows.claim("10.0.0.3", START)
    later_key, _, _ = windows.claim("10.0.0.4", START + dt.timedelta(minutes=2))

    assert key == OTHER_ADDRESSES
    assert later_key == "10.0.0.4"  # the closed windows were forgotten to make room
