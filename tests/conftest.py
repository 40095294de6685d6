"""Fixtures every test may use: fresh per-test contexts and apps for each side, and a shared local CA.

The suite runs twice in ``scripts/test.sh``: on SQLite, then on PostgreSQL when
``M365BRIDGE_TEST_POSTGRES_URL`` names a running cluster (``scripts/postgres.sh start``). In that pass
every settings fixture gets a fresh PostgreSQL database, and only tests that use a database run again
(see ``pytest_collection_modifyitems``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import MIGRATIONS as CLOUD_MIGRATIONS
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import MIGRATIONS as CONNECTOR_MIGRATIONS
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared import migrate
from m365bridge.shared.tls import ServerCertificate, ensure_server_certificate
from tests.support.postgres import POSTGRES_URL_ENV, DatabaseFactory
from tests.tally import pytest_runtest_logreport, pytest_terminal_summary  # noqa: F401 - pytest hooks

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATASETS = SHARED / "datasets"

# Fixtures through which a test reaches a database; in the PostgreSQL pass only tests using one run.
DATABASE_FIXTURES = {"new_database_url", "cloud_settings", "connector_settings"}


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """SQLite pass: skip ``postgres`` tests. PostgreSQL pass: keep only tests that touch a database."""
    if postgres_admin_url() is None:
        skip = pytest.mark.skip(reason=f"needs PostgreSQL: set {POSTGRES_URL_ENV} (scripts/postgres.sh)")
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)
        return
    keep, drop = [], []
    for item in items:
        uses_database = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        wanted = item.get_closest_marker("postgres") or uses_database
        (keep if wanted and not item.get_closest_marker("sqlite") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def database_factory() -> Iterator[DatabaseFactory | None]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        yield None
        return
    factory = DatabaseFactory(
        admin_url,
        prepare={
            "cloud": lambda url: migrate.upgrade(CLOUD_MIGRATIONS, url),
            "connector": lambda url: migrate.upgrade(CONNECTOR_MIGRATIONS, url),
        },
    )
    yield factory
    factory.close()


@pytest.fixture
def new_database_url(
    database_factory: DatabaseFactory | None,
) -> Iterator[Callable[[str], str | None]]:
    """``new_database_url(label)``: a fresh database for one settings object.

    Returns None on SQLite (settings then default to a file in their own data_dir) and, in the PostgreSQL
    pass, a database used by this test alone: already migrated (and empty) for the labels ``cloud`` and
    ``connector``, without tables for any other label (see tests/support/postgres.py). Tests that build
    their own settings use it: ``CloudSettings(data_dir=…, database_url=new_database_url("cloud"))``.
    """
    created: list[str] = []

    def make(label: str) -> str | None:
        if database_factory is None:
            return None
        url = database_factory.acquire(label)
        created.append(url)
        return url

    yield make
    for url in created:
        assert database_factory is not None
        database_factory.release(url)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    return ensure_server_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def cloud_settings(tmp_path: Path, new_database_url: Callable[[str], str | None]) -> CloudSettings:
    return CloudSettings(data_dir=tmp_path / "cloud", database_url=new_database_url("cloud"))


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
def connector_settings(tmp_path: Path, new_database_url: Callable[[str], str | None]) -> ConnectorSettings:
    # No background purge in tests; tests that need it call the runner's run_once.
    return ConnectorSettings(
        data_dir=tmp_path / "connector",
        database_url=new_database_url("connector"),
        housekeeping_interval_seconds=0,
        health_sync_autostart=False,
    )


@pytest.fixture
def connector_context(connector_settings: ConnectorSettings) -> Iterator[ConnectorContext]:
    context = ConnectorContext.build(connector_settings)
    yield context
    context.close()


@pytest.fixture
def connector_client(connector_context: ConnectorContext) -> Iterator[TestClient]:
    with TestClient(create_connector_app(context=connector_context)) as client:
        yield client
