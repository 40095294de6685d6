"""``m365bridge connector incidents list|create|show``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import repository, service
from m365bridge.connector.incidents.encoded_query import parse
from m365bridge.connector.incidents.representation import sn_value
from m365bridge.connector.incidents.table import PRIORITY_LABELS, STATE_LABELS
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction

app = typer.Typer(help="The incident table.", no_args_is_help=True)
console = Console()

DataDir = typer.Option(None, "--data-dir", help="Folder for the database, keys and certificates.")


def _context(data_dir: Path | None, *, read_only: bool = False) -> ConnectorContext:
    """``read_only`` commands create nothing (``ConnectorContext.build``)."""
    settings = ConnectorSettings(data_dir=data_dir) if data_dir else ConnectorSettings()
    return ConnectorContext.build(settings, read_only=read_only)


@app.command("list")
def list_incidents(
    query: str = typer.Option("active=true", "--query", "-q", help="A ServiceNow encoded query."),
    limit: int = typer.Option(50, min=1, help="Most incidents to show."),
    data_dir: Path | None = DataDir,
) -> None:
    """List incidents matching an encoded query (default: the active ones)."""
    context = _context(data_dir, read_only=True)
    try:
        with transaction(context.sessions) as session:
            page = repository.list_incidents(session, parse(query), limit=limit)
            table = Table("Number", "Opened", "Short description", "Priority", "State", "sys_id")
            for incident in page.rows:
                table.add_row(
                    incident.number,
                    sn_value(incident.opened_at),
                    incident.short_description,
                    PRIORITY_LABELS[incident.priority],
                    STATE_LABELS[incident.state],
                    incident.sys_id,
                )
        console.print(table)
        console.print(f"{page.total} matching, {len(page.rows)} shown")
    finally:
        context.close()


@app.command("create")
def create_incident(
    short_description: str = typer.Argument(..., help="What is wrong, in one line."),
    description: str = typer.Option("", help="The details."),
    impact: int = typer.Option(3, min=1, max=3, help="1 High, 2 Medium, 3 Low."),
    urgency: int = typer.Option(3, min=1, max=3, help="1 High, 2 Medium, 3 Low."),
    category: str = typer.Option("inquiry", help="inquiry, software, hardware, network or database."),
    caller: str = typer.Option("", help="Caller's user name or sys_id."),
    data_dir: Path | None = DataDir,
) -> None:
    """Open an incident and print its number and sys_id."""
    fields = {
        "short_description": short_description,
        "description": description,
        "impact": impact,
        "urgency": urgency,
        "category": category,
        "caller_id": caller,
    }
    context = _context(data_dir)
    try:
        with transaction(context.sessions, write=True) as session:
            incident = service.create_incident(session, fields, service.SYSTEM)
            number, sys_id = incident.number, incident.sys_id
        typer.echo(f"{number} {sys_id}")
    finally:
        context.close()


@app.command("show")
def show_incident(
    incident_id: str = typer.Argument(..., help="The incident's number or sys_id."),
    data_dir: Path | None = DataDir,
) -> None:
    """Show an incident's fields and its work notes and comments."""
    context = _context(data_dir, read_only=True)
    try:
        with transaction(context.sessions) as session:
            incident = service.find_incident(session, incident_id)
            fields = Table("Field", "Value", show_header=False)
            for column in incident.__table__.columns:
                fields.add_row(column.key, sn_value(getattr(incident, column.key)))
            console.print(fields)
            for entry in service.list_journal(session, incident):
                console.print(
                    f"[bold]{sn_value(entry.sys_created_on)} - {entry.sys_created_by} ({entry.element})[/]"
                )
                console.print(entry.value, highlight=False, markup=False)
    finally:
        context.close()
