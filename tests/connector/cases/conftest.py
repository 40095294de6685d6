from __future__ import annotations

from collections.abc import Iterator

import pytest

from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import Loop, start_loop


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, tls: ServerCertificate) -> Iterator[Loop]:
    """One Basic-mode pair of real apps for the module: starting one takes seconds."""
    running = start_loop("basic", tmp_path_factory.mktemp("loop"), tls)
    yield running
    running.close()
