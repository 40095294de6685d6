from collections.abc import Iterator
from pathlib import Path

import pytest

from m365bridge.shared.tls import ServerCertificate
from tests.connector.setup.world import World, running_world


@pytest.fixture
def world(tmp_path: Path, tls: ServerCertificate) -> Iterator[World]:
    with running_world(tmp_path, tls) as running:
        yield running
