"""``m365bridge connector …``: run and administer the connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from m365bridge.connector.auth import allowlist_cli, oidc_cli
from m365bridge.connector.auth import cli as auth_cli
from m365bridge.connector.context import MIGRATIONS
from m365bridge.connector.health.cli import app as health_app
from m365bridge.connector.incidents.cli import app as incidents_app
from m365bridge.connector.keys.cli import rotate_key
from m365bridge.connector.logs import cli as logs_cli
from m365bridge.connector.registry.cli import app as oauth_entities_app
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup.cli import app as setup_app
from m365bridge.connector.troubleshooting.cli import doctor
from m365bridge.connector.users import cli as users_cli
from m365bridge.shared import backup, migrate

app = typer.Typer(help="The connector.", no_args_is_help=True)
db_app = typer.Typer(help="The connector's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_cli.app, name="users")
app.add_typer(auth_cli.app, name="oauth-clients")
app.add_typer(oidc_cli.app, name="oidc")
app.add_typer(allowlist_cli.app, name="allowlist")
app.add_typer(logs_cli.app, name="logs")
app.add_typer(incidents_app, name="incidents")
app.add_typer(oauth_entities_app, name="oauth-entities")
app.add_typer(health_app, name="health")
app.add_typer(setup_app, name="setup")
app.command("rotate-key")(rotate_key)
app.command("doctor")(doctor)


def settings_for(data_dir: Path | None) -> ConnectorSettings:
    return ConnectorSettings(data_dir=data_dir) if data_dir else ConnectorSettings()


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
    """Serve the connector's HTTP API and pages."""
    from m365bridge.connector.app import create_app
    from m365bridge.shared.serving import serve_forever

    overrides: dict[str, Any] = {"data_dir": data_dir, "host": host, "port": port, "tls": tls}
    settings = ConnectorSettings(**{k: v for k, v in overrides.items() if v is not None})
    serve_forever(
        create_app(settings),
        settings.host,
        settings.port,
        settings.data_dir / "tls" if settings.tls else None,
    )
