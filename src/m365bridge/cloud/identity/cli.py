"""``m365bridge cloud identity …``: tenants, app registrations, secrets, grants and signing keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import service
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction

app = typer.Typer(help="Entra-compatible identity: tenants, apps, secrets, keys.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (directories).", no_args_is_help=True)
app_app = typer.Typer(help="App registrations.", no_args_is_help=True)
secret_app = typer.Typer(help="Client secrets.", no_args_is_help=True)
keys_app = typer.Typer(help="Token signing keys.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(app_app, name="app")
app.add_typer(secret_app, name="secret")
app.add_typer(keys_app, name="keys")

DataDir = typer.Option(None, "--data-dir", help="The cloud's data folder.")
TenantOption = typer.Option(..., "--tenant", help="Tenant id or domain.")


@contextmanager
def _unit_of_work(data_dir: Path | None) -> Iterator[tuple[CloudContext, Session]]:
    context = CloudContext.build(CloudSettings(data_dir=data_dir) if data_dir else CloudSettings())
    try:
        with transaction(context.sessions, write=True) as session:
            yield context, session
    finally:
        context.close()


@tenant_app.command("create")
def tenant_create(
    domain: str = typer.Argument(..., help="<name>.onmicrosoft.com"),
    tenant_id: str | None = typer.Option(None, "--id", help="Tenant GUID; generated when omitted."),
    display_name: str | None = typer.Option(None, help="Organisation name."),
    data_dir: Path | None = DataDir,
) -> None:
    """Create a tenant."""
    with _unit_of_work(data_dir) as (_context, session):
        tenant = service.create_tenant(session, domain, tenant_id, display_name=display_name)
        typer.echo(f"{tenant.id}\t{tenant.domain}")


@tenant_app.command("list")
def tenant_list(data_dir: Path | None = DataDir) -> None:
    """List tenants: id, domain, display name."""
    with _unit_of_work(data_dir) as (_context, session):
        for tenant in service.list_tenants(session):
            typer.echo(f"{tenant.id}\t{tenant.domain}\t{tenant.display_name}")


@app_app.command("create")
def app_create(
    display_name: str = typer.Argument(..., help="The app's display name."),
    tenant: str = TenantOption,
    app_id_uri: str | None = typer.Option(None, help="App ID URI; may contain {client_id}."),
    accepted_version: int = typer.Option(1, help="accessTokenAcceptedVersion: 1 or 2."),
    role: list[str] = typer.Option([], "--role", help="An application role the app defines (repeatable)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Register an app in a tenant; prints its client id."""
    with _unit_of_work(data_dir) as (_context, session):
        registered = service.create_app_registration(
            session,
            tenant,
            display_name,
            app_id_uri=app_id_uri,
            accepted_version=accepted_version,
            roles=role,
        )
        typer.echo(f"{registered.client_id}\t{registered.app_id_uri or ''}")


@app_app.command("list")
def app_list(tenant: str = TenantOption, data_dir: Path | None = DataDir) -> None:
    """List a tenant's apps: client id, display name, App ID URI, accepted token version."""
    with _unit_of_work(data_dir) as (_context, session):
        for registered in service.list_apps(session, tenant):
            typer.echo(
                f"{registered.client_id}\t{registered.display_name}\t{registered.app_id_uri or ''}\t"
                f"v{registered.accepted_version}"
            )


@app_app.command("grant")
def app_grant(
    client_id: str = typer.Argument(..., help="The client app's client id."),
    resource: str = typer.Option(..., help="Resource App ID URI or appId."),
    role: list[str] = typer.Option(..., "--role", help="Application role to grant (repeatable)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Grant application roles of a resource to an app (with admin consent)."""
    with _unit_of_work(data_dir) as (_context, session):
        registered = service.resolve_app(session, client_id)
        service.grant_app_roles(session, registered, resource, role)
        for grant in service.list_grants(session, registered):
            typer.echo(f"{grant.resource_app_id}\t{grant.role}")


@secret_app.command("add")
def secret_add(
    client_id: str = typer.Argument(..., help="The app's client id."),
    days: int = typer.Option(365, help="Validity in days."),
    display_name: str = typer.Option("", help="Description of the secret."),
    data_dir: Path | None = DataDir,
) -> None:
    """Add a client secret and print its value: it is shown this once and never stored in clear."""
    with _unit_of_work(data_dir) as (_context, session):
        registered = service.resolve_app(session, client_id)
        stored, value = service.create_client_secret(
            session, registered, days=days, display_name=display_name
        )
        typer.echo(f"{value}\t(key id {stored.id}, expires {stored.expires_at:%Y-%m-%d})")


@keys_app.command("rotate")
def keys_rotate(data_dir: Path | None = DataDir) -> None:
    """Make a new signing key; the old one stays published for the grace period."""
    with _unit_of_work(data_dir) as (context, session):
        key = service.rotate_signing_key(session, context.secrets)
        typer.echo(f"active signing key {key.kid}")
