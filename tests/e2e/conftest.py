from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import Loop, start_loop


@pytest.fixture(params=["basic", "aad"])
def loop(request: pytest.FixtureRequest, tmp_path: Path, tls: ServerCertificate) -> Iterator[Loop]:
    running = start_loop(request.param, tmp_path, tls)
    yield running
    running.close()


@pytest.fixture
def basic_loop(tmp_path: Path, tls: ServerCertificate) -> Iterator[Loop]:
    running = start_loop("basic", tmp_path, tls)
    yield running
    running.close()
