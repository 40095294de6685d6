"""``m365bridge connector oauth-entities …``: the outbound OAuth registry from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from m365bridge.connector.context import cli_context
from m365bridge.connector.registry import service
from m365bridge.connector.registry.token_client import token_client
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

app = typer.Typer(help="Outbound OAuth providers (ServiceNow's OAuth registry).", no_args_is_help=True)
DataDir = typer.Option(None, "--data-dir", help="The connector's data folder.")


@app.command("create")
def create(
    name: str = typer.Option(..., help="Unique name, e.g. 'Azure'."),
    client_id: str = typer.Option(..., help="The outbound app's application (client) id."),
    token_url: str = typer.Option(..., help="e.g. https://login.microsoftonline.com/{tenant}/oauth2/token"),
    client_secret: str = typer.Option(
        ..., prompt=True, hide_input=True, envvar="M365BRIDGE_OAUTH_CLIENT_SECRET", help="Asked when omitted."
    ),
    grant_type: str = typer.Option(service.CLIENT_CREDENTIALS, help="client_credentials for outbound."),
    redirect_url: str | None = typer.Option(None, help="Redirect URL (unused by client credentials)."),
    param: list[str] = typer.Option([], help="Extra token parameter NAME=VALUE; repeatable."),
    data_dir: Path | None = DataDir,
) -> None:
    """Create an OAuth provider with its default profile; the secret is stored encrypted."""
    extra = {}
    for item in param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--param '{item}' is not NAME=VALUE.")
        extra[key] = value
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        entity = service.create_entity(
            session,
            context.secrets,
            name=name,
            client_id=client_id,
            client_secret=client_secret,
            token_url=token_url,
            grant_type=grant_type,
            redirect_url=redirect_url,
            extra_params=extra,
        )
        typer.echo(f"created OAuth provider '{entity.name}' ({entity.id})")


@app.command("list")
def list_entities(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."), data_dir: Path | None = DataDir
) -> None:
    """List OAuth providers (never their secrets)."""
    with cli_context(data_dir, read_only=True) as context, transaction(context.sessions) as session:
        rows = [
            {
                "id": e.id,
                "name": e.name,
                "client_id": e.client_id,
                "grant_type": e.grant_type,
                "token_url": e.token_url,
                "extra_params": e.extra_params,
                "default_profile": (service.default_profile(e) or e).id,
            }
            for e in service.list_entities(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']}  {row['name']}  {row['client_id']}  {row['grant_type']}  {row['token_url']}")


@app.command("delete")
def delete(name: str = typer.Argument(..., help="Name or id."), data_dir: Path | None = DataDir) -> None:
    """Delete an OAuth provider and its profiles."""
    with cli_context(data_dir) as context:
        with transaction(context.sessions, write=True) as session:
            entity = service.delete_entity(session, name)
        token_client(context).invalidate(entity.id)
    typer.echo(f"deleted OAuth provider '{entity.name}'")
