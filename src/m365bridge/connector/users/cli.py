"""``m365bridge connector users …``: manage users and roles from the shell."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import repository, service
from m365bridge.shared.db import transaction

app = typer.Typer(help="Users and roles.", no_args_is_help=True)
DataDir = typer.Option(None, "--data-dir", help="The connector's data folder.")


def open_context(data_dir: Path | None, *, read_only: bool = False) -> ConnectorContext:
    """``read_only`` commands create nothing (``ConnectorContext.build``)."""
    settings = ConnectorSettings(data_dir=data_dir) if data_dir else ConnectorSettings()
    return ConnectorContext.build(settings, read_only=read_only)


def _password(value: str | None) -> str:
    return value or typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("create")
def create(
    user_name: str,
    name: str = typer.Option("", help="Display name."),
    email: str = typer.Option("", help="Email address."),
    role: list[str] = typer.Option([], "--role", help="Role to grant (repeatable)."),
    web_service_only: bool = typer.Option(False, "--web-service-only", help="REST access only, no UI."),
    password: str | None = typer.Option(None, envvar="M365BRIDGE_NEW_PASSWORD", help="Prompted if omitted."),
    data_dir: Path | None = DataDir,
) -> None:
    """Create a user with a password."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.create_user(
            session,
            user_name,
            password=_password(password),
            name=name,
            email=email,
            roles=role,
            web_service_access_only=web_service_only,
        )
    typer.echo(f"created user {user_name}")


@app.command("list")
def list_users(data_dir: Path | None = DataDir) -> None:
    """List users with their state and roles."""
    context = open_context(data_dir, read_only=True)
    with transaction(context.sessions) as session:
        for user in repository.list_users(session):
            flags = [
                f
                for f, on in (
                    ("inactive", not user.active),
                    ("locked", user.locked),
                    ("web-service-only", user.web_service_access_only),
                )
                if on
            ]
            typer.echo(f"{user.user_name}\t{','.join(sorted(user.roles)) or '-'}\t{' '.join(flags)}")


@app.command("set-password")
def set_password(
    user_name: str,
    password: str | None = typer.Option(None, envvar="M365BRIDGE_NEW_PASSWORD", help="Prompted if omitted."),
    data_dir: Path | None = DataDir,
) -> None:
    """Set a user's password."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.set_password(session, service.get_user(session, user_name), _password(password))
    typer.echo(f"password set for {user_name}")


def _change(user_name: str, data_dir: Path | None, changes: service.UserChanges, done: str) -> None:
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.update_user(session, service.get_user(session, user_name), changes)
    typer.echo(f"{user_name} {done}")


@app.command("lock")
def lock(user_name: str, data_dir: Path | None = DataDir) -> None:
    """Lock a user out."""
    _change(user_name, data_dir, service.UserChanges(locked=True), "locked")


@app.command("unlock")
def unlock(user_name: str, data_dir: Path | None = DataDir) -> None:
    """Unlock a user."""
    _change(user_name, data_dir, service.UserChanges(locked=False), "unlocked")


@app.command("grant")
def grant(user_name: str, role: str, data_dir: Path | None = DataDir) -> None:
    """Grant ROLE to a user."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.grant(session, service.get_user(session, user_name), role)
    typer.echo(f"granted {role} to {user_name}")


@app.command("revoke")
def revoke(user_name: str, role: str, data_dir: Path | None = DataDir) -> None:
    """Revoke ROLE from a user."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        service.revoke(session, service.get_user(session, user_name), role)
    typer.echo(f"revoked {role} from {user_name}")
