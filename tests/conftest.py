"""Fixtures every test may use: fresh per-test contexts and apps for each side, and a shared local CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.tls import ServerCertificate, ensure_server_certificate
from tests.tally import pytest_runtest_logreport, pytest_terminal_summary  # noqa: F401 - pytest hooks

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATASETS = SHARED / "datasets"


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    return ensure_server_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def cloud_settings(tmp_path: Path) -> CloudSettings:
    return CloudSettings(data_dir=tmp_path / "cloud")


@pytest.fixture
def cloud_context(cloud_settings: CloudSettings) -> Iterator[CloudContext]:
    context = CloudContext.build(cloud_settings)
    yield context
    context.close()


@pytest.fixture
def cloud_client(cloud_context: CloudContext) -> Iterator[TestClient]:
    with TestClient(create_cloud_app(context=cloud_context)) as client:
        yield client


@pytest.fixture
def connector_settings(tmp_path: Path) -> ConnectorSettings:
    # No background purge in tests; tests that need it call the runner's run_once.
    return ConnectorSettings(data_dir=tmp_path / "connector", housekeeping_interval_seconds=0)


@pytest.fixture
def connector_context(connector_settings: ConnectorSettings) -> Iterator[ConnectorContext]:
    context = ConnectorContext.build(connector_settings)
    yield context
    context.close()


@pytest.fixture
def connector_client(connector_context: ConnectorContext) -> Iterator[TestClient]:
    with TestClient(create_connector_app(context=connector_context)) as client:
        yield client
