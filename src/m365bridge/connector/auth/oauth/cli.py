"""``m365bridge connector oauth-clients …``: OAuth API endpoints for external clients."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.connector.auth.oauth import service
from m365bridge.connector.users.cli import DataDir, open_context
from m365bridge.shared.db import transaction

app = typer.Typer(help="OAuth API endpoints for external clients (/oauth_token.do).", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    access_token_lifespan: int = typer.Option(1800, help="Seconds."),
    refresh_token_lifespan: int = typer.Option(8_640_000, help="Seconds."),
    redirect_url: str = typer.Option(
        "", help="Where /oauth_auth.do may send authorization codes (exact match); empty: no code grant."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Create an endpoint; prints the client secret once (it is stored only as a hash)."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        client, secret = service.create_client(
            session,
            name,
            access_token_lifespan=access_token_lifespan,
            refresh_token_lifespan=refresh_token_lifespan,
            redirect_url=redirect_url,
        )
        client_id = client.client_id
    typer.echo(f"client_id: {client_id}\nclient_secret: {secret}\n(the secret is not shown again)")


@app.command("list")
def list_clients(data_dir: Path | None = DataDir) -> None:
    """List endpoints (never their secrets)."""
    context = open_context(data_dir)
    with transaction(context.sessions) as session:
        for c in service.list_clients(session):
            state = "active" if c.active else "inactive"
            typer.echo(
                f"{c.client_id}\t{c.name}\t{c.access_token_lifespan}s/{c.refresh_token_lifespan}s\t{state}"
                f"\t{c.redirect_url or '-'}"
            )


@app.command("set-redirect-url")
def set_redirect_url(client_id: str, redirect_url: str, data_dir: Path | None = DataDir) -> None:
    """Register the redirect URL of the authorization-code grant ("" removes it, refusing that grant)."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        client = service.get_client(session, client_id)
        service.update_client(session, client, redirect_url=redirect_url)
    typer.echo(f"{client_id}: redirect URL {redirect_url or '(none)'}")


@app.command("set-run-as")
def set_run_as(client_id: str, user_name: str, data_dir: Path | None = DataDir) -> None:
    """The user the client_credentials grant acts as ("" removes it, refusing that grant)."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.set_run_as(session, service.get_client(session, client_id), user_name)
    typer.echo(f"{client_id}: client_credentials runs as {user_name or '(nobody: refused)'}")


@app.command("delete")
def delete(client_id: str, data_dir: Path | None = DataDir) -> None:
    """Delete an endpoint and every token it issued."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.delete_client(session, client_id)
    typer.echo(f"deleted {client_id}")
