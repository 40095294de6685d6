"""``m365bridge connector oidc providers|entities …``: which provider-issued JWTs the connector accepts."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.connector.auth.oidc import service
from m365bridge.connector.context import cli_context
from m365bridge.connector.users.cli import DataDir
from m365bridge.shared.db import transaction

app = typer.Typer(help="OIDC provider configurations and OIDC entities.", no_args_is_help=True)
providers_app = typer.Typer(help="OIDC provider configurations.", no_args_is_help=True)
entities_app = typer.Typer(help="OIDC entities (which audiences to accept).", no_args_is_help=True)
app.add_typer(providers_app, name="providers")
app.add_typer(entities_app, name="entities")


@providers_app.command("create")
def create_provider(
    name: str,
    metadata_url: str = typer.Option(..., help="https://…/.well-known/openid-configuration"),
    user_claim: str = typer.Option("appid", help="Claim naming the user (azp is used for v2 tokens)."),
    user_field: str = typer.Option("user_name", help="User field compared with the claim: user_name|email."),
    clock_skew: int = typer.Option(300, help="Seconds of leeway on exp/nbf/iat."),
    extra_issuer: str | None = typer.Option(None, help="A second accepted issuer (v1 sts.windows.net)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Create an OIDC provider configuration."""
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        provider = service.create_provider(
            session,
            name,
            metadata_url,
            user_claim=user_claim,
            user_field=user_field,
            clock_skew=clock_skew,
            extra_issuer=extra_issuer,
        )
        typer.echo(f"created OIDC provider {provider.name} ({provider.id})")


@providers_app.command("list")
def list_providers(data_dir: Path | None = DataDir) -> None:
    """List OIDC provider configurations."""
    with cli_context(data_dir, read_only=True) as context, transaction(context.sessions) as session:
        for p in service.providers(session):
            state = "active" if p.active else "inactive"
            typer.echo(f"{p.id}\t{p.name}\t{p.metadata_url}\t{p.user_claim}->{p.user_field}\t{state}")


@providers_app.command("delete")
def delete_provider(provider: str, data_dir: Path | None = DataDir) -> None:
    """Delete a provider (by id or name) and its entities."""
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        service.delete_provider(session, provider)
    typer.echo(f"deleted OIDC provider {provider}")


@entities_app.command("create")
def create_entity(
    client_id: str,
    provider: str = typer.Option(..., help="The provider's id or name."),
    name: str = typer.Option("", help="Display name (default: the client id)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Accept tokens whose audience is CLIENT_ID (the REST API app's client id)."""
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        entity = service.create_entity(session, name, client_id, provider)
        typer.echo(f"created OIDC entity {entity.name} ({entity.id})")


@entities_app.command("list")
def list_entities(data_dir: Path | None = DataDir) -> None:
    """List OIDC entities with their provider."""
    with cli_context(data_dir, read_only=True) as context, transaction(context.sessions) as session:
        for e in service.entities(session):
            state = "active" if e.active else "inactive"
            typer.echo(f"{e.id}\t{e.name}\t{e.client_id}\t{e.provider.name}\t{state}")


@entities_app.command("delete")
def delete_entity(entity_id: str, data_dir: Path | None = DataDir) -> None:
    """Delete an OIDC entity."""
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        service.delete_entity(session, entity_id)
    typer.echo(f"deleted OIDC entity {entity_id}")
