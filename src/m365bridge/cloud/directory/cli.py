"""``m365bridge cloud directory …``: people of the cloud's tenants."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.directory import service
from m365bridge.cloud.directory.roles import ALL_ROLES
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction

app = typer.Typer(help="People of the cloud's tenants: admins and support engineers.", no_args_is_help=True)
user_app = typer.Typer(help="Directory users.", no_args_is_help=True)
app.add_typer(user_app, name="user")

DataDir = typer.Option(None, "--data-dir", help="Folder of the cloud's database and keys.")
Roles = typer.Option([], "--role", help=f"Role to hold (repeatable): {', '.join(ALL_ROLES)}.")


def _context(data_dir: Path | None) -> CloudContext:
    return CloudContext.build(CloudSettings(data_dir=data_dir) if data_dir else CloudSettings())


@user_app.command("create")
def create(
    email: str = typer.Option(..., help="Sign-in name (UPN)."),
    password: str = typer.Option(..., prompt=True, hide_input=True, help="Initial password."),
    name: str = typer.Option("", help="Display name (default: the email)."),
    tenant: str | None = typer.Option(None, help="Tenant id; none for a support engineer."),
    role: list[str] = Roles,
    data_dir: Path | None = DataDir,
) -> None:
    """Create a person."""
    context = _context(data_dir)
    try:
        with transaction(context.sessions, write=True) as session:
            user = service.create_user(
                session, email=email, display_name=name, password=password, tenant_id=tenant, roles=role
            )
            typer.echo(f"created {user.email} ({', '.join(sorted(user.roles)) or 'no roles'})")
    finally:
        context.close()


@user_app.command("list")
def list_users(
    tenant: str | None = typer.Option(None, help="Only this tenant's people."),
    data_dir: Path | None = DataDir,
) -> None:
    """List people, one a line: email, tenant, roles, active."""
    context = _context(data_dir)
    try:
        with transaction(context.sessions) as session:
            for user in service.list_users(session, tenant):
                state = "active" if user.active else "inactive"
                roles = ", ".join(sorted(user.roles)) or "-"
                typer.echo(f"{user.email}\t{user.tenant_id or '-'}\t{roles}\t{state}")
    finally:
        context.close()


@user_app.command("grant")
def grant(email: str, role: list[str] = Roles, data_dir: Path | None = DataDir) -> None:
    """Add roles to a person."""
    context = _context(data_dir)
    try:
        with transaction(context.sessions, write=True) as session:
            user = service.grant(session, email, role)
            typer.echo(f"{user.email} now holds: {', '.join(sorted(user.roles))}")
    finally:
        context.close()
