"""The commands every side has: ``db upgrade|backup|restore`` and ``serve``.

Both sides run and migrate the same way; only their settings, migrations and app factory differ, so the
commands are built here once from those three.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import typer

from m365bridge.shared import backup, migrate

DataDir = typer.Option(None, "--data-dir", help="Folder for the database, keys and certificates.")


class SideSettings(Protocol):
    data_dir: Path
    host: str
    port: int
    tls: bool

    @property
    def db_url(self) -> str: ...


def add_side_commands(
    app: typer.Typer,
    *,
    side: str,
    settings_class: Callable[..., SideSettings],
    migrations: Path,
    app_factory: Callable[[], Callable[[Any], object]],
) -> None:
    """Register ``db`` and ``serve`` on ``app``; ``app_factory`` imports the web app only when serving."""
    db_app = typer.Typer(help=f"The {side}'s database.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    def settings_for(data_dir: Path | None) -> SideSettings:
        return settings_class(data_dir=data_dir) if data_dir else settings_class()

    @db_app.command("upgrade")
    def db_upgrade(data_dir: Path | None = DataDir, revision: str = "head") -> None:
        """Apply migrations up to REVISION (default: the newest)."""
        migrate.upgrade(migrations, settings_for(data_dir).db_url, revision)
        typer.echo(f"database at {revision}")

    @db_app.command("backup")
    def db_backup(path: Path, data_dir: Path | None = DataDir) -> None:
        """Write a consistent copy of the database to PATH while the service runs (not the encryption key)."""
        backup.backup(settings_for(data_dir).db_url, path)
        typer.echo(f"backed up to {path}")

    @db_app.command("restore")
    def db_restore(path: Path, data_dir: Path | None = DataDir) -> None:
        """Replace the database's contents with the backup at PATH; stop the service first."""
        backup.restore(settings_for(data_dir).db_url, path)
        typer.echo(f"restored from {path}")

    @app.command("serve", help=f"Serve the {side}'s HTTP API and pages.")
    def serve(
        data_dir: Path | None = DataDir,
        host: str | None = typer.Option(None, help="Address to listen on."),
        port: int | None = typer.Option(None, help="Port to listen on."),
        tls: bool | None = typer.Option(None, "--tls/--no-tls", help="Serve https with the local CA."),
    ) -> None:
        from m365bridge.shared.serving import serve_forever

        overrides: dict[str, Any] = {"data_dir": data_dir, "host": host, "port": port, "tls": tls}
        settings = settings_class(**{k: v for k, v in overrides.items() if v is not None})
        serve_forever(
            app_factory()(settings),
            settings.host,
            settings.port,
            settings.data_dir / "tls" if settings.tls else None,
        )
