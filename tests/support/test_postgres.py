import subprocess
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]


def database_of(context) -> str:
    with context.engine.connect() as conn:
        return conn.execute(text("SELECT current_database()")).scalar()


@pytest.mark.postgres
def test_each_settings_fixture_gets_its_own_migrated_postgres_database(cloud_context, connector_context):
    assert cloud_context.engine.dialect.name == "postgresql"
    assert database_of(cloud_context).startswith("t_cloud_")
    assert database_of(connector_context).startswith("t_connector_")
    with cloud_context.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


@pytest.mark.postgres
def test_a_released_database_comes_back_empty_but_migrated(database_factory):
    url = database_factory.acquire("cloud")
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE probe (x int)")  # temporary: leaves the table set unchanged
        tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")]
        data_table = next(name for name in tables if name != "alembic_version")
        conn.execute(f'DELETE FROM "{data_table}"')
    database_factory.release(url)
    again = database_factory.acquire("cloud")
    try:
        with psycopg.connect(again) as conn:
            assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
            assert conn.execute(f'SELECT count(*) FROM "{data_table}"').fetchone() == (0,)
    finally:
        database_factory.release(again)


@pytest.mark.postgres
def test_a_database_whose_tables_changed_is_dropped_not_reused(database_factory):
    url = database_factory.acquire("cloud")
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE stray (x int)")
    database_factory.release(url)
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
