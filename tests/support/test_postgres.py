import subprocess
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_each_settings_fixture_gets_its_own_postgres_database(cloud_context, connector_context):
    names = []
    for context in (cloud_context, connector_context):
        assert context.engine.dialect.name == "postgresql"
        with context.engine.connect() as conn:
            names.append(conn.execute(text("SELECT current_database()")).scalar())
    assert names[0].startswith("t_cloud_")
    assert names[1].startswith("t_connector_")


@pytest.mark.postgres
def test_databases_are_dropped_after_the_test(database_factory):
    url = database_factory.create("probe")
    database_factory.drop(url)
    with psycopg.connect(database_factory.admin_url) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.rsplit("/", 1)[1],))
        assert found.fetchone() is None


@pytest.mark.postgres
def test_postgres_script_creates_a_database_on_demand(database_factory):
    script = ROOT / "scripts" / "postgres.sh"
    url = subprocess.run([script, "url", "on_demand_probe"], check=True, capture_output=True, text=True)
    try:
        with psycopg.connect(url.stdout.strip()) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("on_demand_probe",)
    finally:
        database_factory.drop(url.stdout.strip())
