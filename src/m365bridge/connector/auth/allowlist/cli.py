"""``m365bridge connector allowlist …``: addresses allowed to call the inbound REST API."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.connector.auth.allowlist import service
from m365bridge.connector.context import cli_context
from m365bridge.connector.users.cli import DataDir
from m365bridge.shared.db import transaction

app = typer.Typer(
    help="The inbound allowlist (enforced when M365BRIDGE_CONNECTOR_INBOUND_ALLOWLIST_ENABLED is true).",
    no_args_is_help=True,
)


@app.command("add")
def add(
    cidr: str,
    description: str = typer.Option("", help="Whose address this is."),
    data_dir: Path | None = DataDir,
) -> None:
    """Allow an address or CIDR (e.g. 52.149.152.32 or 10.0.0.0/8)."""
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        entry = service.add(session, cidr, description)
        typer.echo(f"added {entry.cidr} ({entry.id})")


@app.command("list")
def list_entries(data_dir: Path | None = DataDir) -> None:
    """List the allowlist and whether it is enforced."""
    with cli_context(data_dir, read_only=True) as context, transaction(context.sessions) as session:
        state = "enforced" if context.settings.inbound_allowlist_enabled else "not enforced (disabled)"
        typer.echo(f"# allowlist {state}")
        for entry in service.entries(session):
            typer.echo(f"{entry.id}\t{entry.cidr}\t{entry.description}")


@app.command("remove")
def remove(entry: str, data_dir: Path | None = DataDir) -> None:
    """Remove an entry, by its id or its address/CIDR."""
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        removed = service.remove(session, entry)
    typer.echo(f"removed {removed}")
