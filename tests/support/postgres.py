"""Fresh PostgreSQL databases for the suite's PostgreSQL pass (``scripts/test.sh`` starts the cluster).

Each test that asks for a database gets one nobody else uses, in the state a new one would have, so tests
stay as isolated as on SQLite, where each gets its own file. Making that cheap:

- a label with a ``prepare`` function (``cloud``, ``connector``) is migrated once, into the first database of
  that label; migrating costs more than most tests;
- a released database is emptied (every row of every table but ``alembic_version`` deleted, sequences
  restarted) and handed to the next test that asks for the same label: ``CREATE DATABASE`` copies a whole
  catalog and costs about as much as migrating. A database whose set of tables changed during the test is
  dropped instead of reused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

import psycopg
from psycopg import sql

# The one environment variable the suite reads: the admin URL of a running cluster (scripts/postgres.sh url).
POSTGRES_URL_ENV = "M365BRIDGE_TEST_POSTGRES_URL"
KEPT_TABLES = frozenset({"alembic_version"})


class DatabaseFactory:
    """Hands out and takes back throwaway databases on one cluster (one pool per test process)."""

    def __init__(self, admin_url: str, prepare: Mapping[str, Callable[[str], None]] | None = None) -> None:
        self.admin_url = admin_url
        self.prepare = dict(prepare or {})
        self._free: dict[str, list[str]] = {}
        self._tables: dict[str, frozenset[str]] = {}  # label -> the tables a prepared database has
        self._label_of: dict[str, str] = {}  # url -> label, for every database handed out
        self._connection: psycopg.Connection | None = None

    def acquire(self, label: str) -> str:
        """A database URL (``postgresql://…/name``): migrated for a prepared label, else empty."""
        free = self._free.setdefault(label, [])
        url = free.pop() if free else self.create(label)
        self._label_of[url] = label
        return url

    def release(self, url: str) -> None:
        """Take a database back: emptied for the next test, or dropped when the test changed its tables."""
        label = self._label_of.pop(url)
        if label not in self.prepare:
            self.drop(url)
            return
        self._disconnect_others(url)
        with psycopg.connect(url, autocommit=True) as conn:
            tables = _tables(conn)
            if tables != self._tables[label]:
                conn.close()
                self.drop(url)
                return
            _empty(conn, tables - KEPT_TABLES)
        self._free[label].append(url)

    def create(self, label: str) -> str:
        """Create a new database (migrated for a prepared label) and return its URL."""
        name = f"t_{label}_{uuid.uuid4().hex[:12]}"
        self._admin().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = self.url_of(name)
        if label in self.prepare:
            self.prepare[label](url)
            if label not in self._tables:
                with psycopg.connect(url) as conn:
                    self._tables[label] = _tables(conn)
        return url

    def drop(self, url: str) -> None:
        """Drop the database behind ``url``, ending any connection a test left open."""
        self._admin().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_name(url)))
        )

    def url_of(self, name: str) -> str:
        return f"{self.admin_url.rsplit('/', 1)[0]}/{name}"

    def close(self) -> None:
        """Drop every pooled database and let go of the admin connection."""
        for urls in self._free.values():
            for url in urls:
                self.drop(url)
        self._free.clear()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _disconnect_others(self, url: str) -> None:
        """End connections a test left open (an undisposed engine), which would block TRUNCATE."""
        self._admin().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (_name(url),),
        )

    def _admin(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.admin_url, autocommit=True)
        return self._connection


def _name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _tables(conn: psycopg.Connection) -> frozenset[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return frozenset(row[0] for row in rows)


def _empty(conn: psycopg.Connection, tables: frozenset[str]) -> None:
    """Delete every row and restart every sequence, in one round trip.

    DELETE with foreign-key triggers off (``session_replication_role = replica``) beats TRUNCATE here: the
    tables are small, and TRUNCATE makes new files for every table.
    """
    statements = [sql.SQL("SET session_replication_role = replica")]
    statements += [sql.SQL("DELETE FROM {}").format(sql.Identifier(name)) for name in sorted(tables)]
    sequences = conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchall()
    statements += [sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.Identifier(row[0])) for row in sequences]
    statements.append(sql.SQL("RESET session_replication_role"))
    conn.execute(sql.SQL("; ").join(statements))
