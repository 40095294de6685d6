"""``m365bridge connector health …``: sync service health now, list recent runs, try matching."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.orm import Session

from m365bridge.connector.context import cli_context
from m365bridge.connector.health import repository
from m365bridge.connector.health.matching import match_issues
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.registry import service as registry
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

app = typer.Typer(help="Microsoft 365 service health.", no_args_is_help=True)
DataDir = typer.Option(None, "--data-dir", help="The connector's data folder.")


@app.command("sync")
def sync(
    entity: str | None = typer.Option(None, help="OAuth provider (name or id); default: the only one."),
    graph_url: str | None = typer.Option(None, help="Graph base URL; default: the graph_url setting."),
    full: bool = typer.Option(False, "--full", help="Read everything, not only changes."),
    data_dir: Path | None = DataDir,
) -> None:
    """Sync service health issues and messages from Microsoft Graph now."""
    with cli_context(data_dir) as context:
        with transaction(context.sessions) as session:
            entity_id = _entity_id(session, entity)
        outcome = sync_service_health(context, entity_id=entity_id, graph_url=graph_url, full=full)
    if not outcome.ran:
        typer.echo("another sync is running; nothing done")
        return
    if outcome.error:
        raise UserError(f"service health sync failed: {outcome.error}")
    typer.echo(
        f"{'full' if outcome.full else 'incremental'} sync: {outcome.issues} issue(s), {outcome.messages} "
        f"message(s) changed, {outcome.removed} removed, {outcome.requests} request(s), "
        f"{outcome.refused} throttled"
    )


def _entity_id(session: Session, name: str | None) -> str:
    if name:
        return registry.get_entity(session, name).id
    entities = registry.list_entities(session)
    if len(entities) != 1:
        raise UserError("Say which OAuth provider to use with --entity (there is not exactly one).")
    return entities[0].id


@app.command("runs")
def runs(
    limit: int = typer.Option(10, help="How many, newest first."), data_dir: Path | None = DataDir
) -> None:
    """Show recent sync runs."""
    with cli_context(data_dir, read_only=True) as context, transaction(context.sessions) as session:
        for run in repository.recent_runs(session, limit):
            finished = f"{run.finished_at:%H:%M:%S}" if run.finished_at else "running"
            typer.echo(
                f"#{run.id} {run.started_at:%Y-%m-%d %H:%M:%S} → {finished} requests={run.requests} "
                f"refused={run.refused} issues={run.issues} messages={run.messages} removed={run.removed}"
                + (f" error={run.error}" if run.error else "")
            )


@app.command("match")
def match(
    text: str = typer.Argument(..., help="An incident's short description."), data_dir: Path | None = DataDir
) -> None:
    """Show the synced issues that match TEXT, as the incident tab would."""
    with cli_context(data_dir, read_only=True) as context, transaction(context.sessions) as session:
        for found in match_issues(session, text):
            typer.echo(f"{found.id} [{found.status}] {found.service}: {found.title} ({found.score:.2f})")
