"""``m365bridge cloud …``: run and administer the cloud."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from m365bridge.cloud.cases.cli import app as outbox_cli
from m365bridge.cloud.context import MIGRATIONS
from m365bridge.cloud.directory.cli import app as directory_cli
from m365bridge.cloud.graph import cli as graph_cli
from m365bridge.cloud.identity.cli import app as identity_app
from m365bridge.cloud.knowledge.cli import app as kb_app
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared import backup, migrate

app = typer.Typer(help="The cloud.", no_args_is_help=True)
db_app = typer.Typer(help="The cloud's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(directory_cli, name="directory")
app.add_typer(outbox_cli, name="outbox")
app.add_typer(graph_cli.app, name="graph")
app.command("replay")(graph_cli.replay_command)
app.add_typer(kb_app, name="kb")
app.add_typer(identity_app, name="identity")


def settings_for(data_dir: Path | None) -> CloudSettings:
    return CloudSettings(data_dir=data_dir) if data_dir else CloudSettings()


DataDir = typer.Option(None, "--data-dir", help="Folder for the database, keys and certificates.")


@db_app.command("upgrade")
def db_upgrade(data_dir: Path | None = DataDir, revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = settings_for(data_dir)
    migrate.upgrade(MIGRATIONS, settings.db_url, revision)
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


@app.command("serve")
def serve(
    data_dir: Path | None = DataDir,
    host: str | None = typer.Option(None, help="Address to listen on."),
    port: int | None = typer.Option(None, help="Port to listen on."),
    tls: bool | None = typer.Option(None, "--tls/--no-tls", help="Serve https with the local CA."),
) -> None:
    """Serve the cloud's HTTP API and pages."""
    from m365bridge.cloud.app import create_app
    from m365bridge.shared.serving import serve_forever

    overrides: dict[str, Any] = {"data_dir": data_dir, "host": host, "port": port, "tls": tls}
    settings = CloudSettings(**{k: v for k, v in overrides.items() if v is not None})
    serve_forever(
        create_app(settings),
        settings.host,
        settings.port,
        settings.data_dir / "tls" if settings.tls else None,
    )
