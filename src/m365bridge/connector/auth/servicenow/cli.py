"""``m365bridge connector servicenow-signin …``: the OAuth client agents sign in through."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.connector.auth.servicenow import repository, service
from m365bridge.connector.users.cli import DataDir, open_context
from m365bridge.shared.db import transaction

app = typer.Typer(
    help="Agents sign in with their ServiceNow account (OAuth authorization code).", no_args_is_help=True
)


@app.command("set")
def set_client(
    client_id: str,
    client_secret: str = typer.Option(..., prompt=True, hide_input=True, help="Stored encrypted."),
    data_dir: Path | None = DataDir,
) -> None:
    """Store the OAuth client registered on the instance; prints the Redirect URL to register there."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.set_client(session, context, client_id, client_secret)
    typer.echo(
        f"saved; the instance's OAuth client must have Redirect URL {service.redirect_uri(context.settings)}"
    )


@app.command("show")
def show(data_dir: Path | None = DataDir) -> None:
    """The client id and the Redirect URL (never the secret)."""
    context = open_context(data_dir)
    with transaction(context.sessions) as session:
        client = repository.client(session)
        client_id = client.client_id if client is not None else None
    typer.echo(
        f"client_id: {client_id or '(not set)'}\nredirect URL: {service.redirect_uri(context.settings)}"
    )
    settings = context.settings
    typer.echo(f"insights_user from: {', '.join(settings.servicenow_roles_insights_user)}")
    typer.echo(f"administrator from: {', '.join(settings.servicenow_roles_administrator)}")


@app.command("clear")
def clear(data_dir: Path | None = DataDir) -> None:
    """Remove the client: "Sign in with ServiceNow" is no longer offered."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        removed = service.clear_client(session)
    typer.echo("removed" if removed else "nothing to remove")
