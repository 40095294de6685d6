"""Reliability scenarios: both real sides with fault proxies on the wires between them.

Sizes come from the environment so that ``make soak`` runs the full scenarios (1,000 events, a minute of
downtime) while the test suite keeps each under ~30 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.faultproxy import FaultProxy


def soak_size(name: str, default: int) -> int:
    """``RELIABILITY_<NAME>`` from the environment (set by ``make soak``), else the CI-sized default."""
    return int(os.environ.get(f"RELIABILITY_{name.upper()}", default))


@pytest.fixture
def proxies() -> Iterator[list[FaultProxy]]:
    """Proxies a test starts; all are stopped at the end."""
    started: list[FaultProxy] = []
    yield started
    for proxy in started:
        proxy.stop()
