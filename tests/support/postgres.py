"""Fresh PostgreSQL databases for the suite's PostgreSQL pass (``scripts/test.sh`` starts the cluster).

Each test that asks for a database gets its own, created from ``template0`` and dropped afterwards, so tests
stay as isolated as they are on SQLite, where each gets its own file.
"""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

# The one environment variable the suite reads: the admin URL of a running cluster (scripts/postgres.sh url).
POSTGRES_URL_ENV = "M365BRIDGE_TEST_POSTGRES_URL"


class DatabaseFactory:
    """Creates and drops throwaway databases on one cluster over one autocommit admin connection."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._connection: psycopg.Connection | None = None

    def create(self, label: str) -> str:
        """Create an empty database and return its SQLAlchemy-ready URL (``postgresql://…/name``)."""
        name = f"t_{label}_{uuid.uuid4().hex[:12]}"
        self._admin().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_of(name)

    def drop(self, url: str) -> None:
        """Drop the database behind ``url``, ending any connection a test left open."""
        name = url.rsplit("/", 1)[-1]
        self._admin().execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def url_of(self, name: str) -> str:
        return f"{self.admin_url.rsplit('/', 1)[0]}/{name}"

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _admin(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.admin_url, autocommit=True)
        return self._connection
