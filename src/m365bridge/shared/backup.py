"""Backups of one side's database while it runs: SQLite through its online backup API (a consistent copy
even while the service writes), PostgreSQL through ``pg_dump``/``pg_restore`` in the custom format.

The encryption key (``secret.key`` or ``ENCRYPTION_KEYS``) is not part of the backup: keep it apart.
"""

from __future__ import annotations

import glob
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from m365bridge.shared.errors import UserError


def backup(database_url: str, path: Path) -> None:
    """Write a consistent copy of the database at ``database_url`` to ``path``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = _sqlite_file(database_url)
        if not source.is_file():  # sqlite3.connect would create an empty database there
            raise UserError(f"No database at {source}: give --data-dir the folder the service runs with.")
        _sqlite_copy(source, path)
    elif url.get_backend_name() == "postgresql":
        path.parent.mkdir(parents=True, exist_ok=True)
        _run("pg_dump", "--format=custom", f"--file={path}", _libpq(database_url))
    else:
        raise _unsupported(url.get_backend_name())


def restore(database_url: str, path: Path) -> None:
    """Replace the database's contents with the backup at ``path`` (stop the service first)."""
    if not path.is_file():
        raise UserError(f"No backup at {path}: give the file that 'db backup' wrote.")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(path, _sqlite_file(database_url))
    elif url.get_backend_name() == "postgresql":
        target = f"--dbname={_libpq(database_url)}"
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", target, str(path))
    else:
        raise _unsupported(url.get_backend_name())


def _unsupported(backend: str) -> UserError:
    return UserError(f"Backups of {backend} databases are not supported; use the database's own tools.")


def _sqlite_file(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise UserError("An in-memory SQLite database has nothing to back up.")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def _libpq(database_url: str) -> str:
    """The URL without SQLAlchemy's driver suffix (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(tool: str, *arguments: str) -> None:
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))  # Debian's, off PATH
    program = shutil.which(tool) or (installed[-1] if installed else None)
    if program is None:
        raise UserError(f"{tool} was not found: install PostgreSQL's client tools (postgresql-client).")
    # The program is PostgreSQL's own tool; the arguments are a path and a URL, passed without a shell.
    done = subprocess.run([program, *arguments], capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise UserError(f"{tool} failed: {done.stderr.strip()}")
