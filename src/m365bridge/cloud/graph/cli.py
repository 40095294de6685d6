"""``m365bridge cloud graph …`` and ``m365bridge cloud replay``: a tenant's service health data by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import generator, importer, replay, repository, service
from m365bridge.cloud.graph.odata import ODataError, parse_datetime
from m365bridge.cloud.graph.tenants import tenant_id_of
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

app = typer.Typer(help="Microsoft Graph service health and Message Center data.", no_args_is_help=True)
issue_app = typer.Typer(help="Service health issues of a tenant.", no_args_is_help=True)
app.add_typer(issue_app, name="issue")

DataDir = typer.Option(None, "--data-dir", help="Folder for the database, keys and certificates.")
Tenant = typer.Option(..., "--tenant", help="The tenant's id or domain.")


def _context(data_dir: Path | None) -> CloudContext:
    return CloudContext.build(CloudSettings(data_dir=data_dir) if data_dir else CloudSettings())


@issue_app.command("create")
def issue_create(
    service_name: str = typer.Option(..., "--service", help="e.g. 'Exchange Online' or 'microsoftteams'."),
    title: str = typer.Option(..., help="What users see, e.g. 'Users can't send email'."),
    impact: str = typer.Option("", help="The impact description."),
    classification: str = typer.Option("incident", help="incident or advisory."),
    status: str = typer.Option("investigating", help="An open status, e.g. serviceDegradation."),
    post: str | None = typer.Option(None, help="The first post."),
    tenant: str = Tenant,
    data_dir: Path | None = DataDir,
) -> None:
    """Open a service health issue."""
    context = _context(data_dir)
    with transaction(context.sessions, write=True) as session:
        issue = service.create_issue(
            session,
            tenant_id_of(session, tenant),
            service=service_name,
            title=title,
            impact_description=impact,
            classification=classification,
            status=status,
            first_post=post,
        )
        typer.echo(f"{issue.id} {issue.status} {issue.service}: {issue.title}")


@issue_app.command("post")
def issue_post(
    issue_id: str,
    text: str,
    status: str | None = typer.Option(None, help="Move the issue to this open status."),
    tenant: str = Tenant,
    data_dir: Path | None = DataDir,
) -> None:
    """Add an update to an open issue."""
    context = _context(data_dir)
    with transaction(context.sessions, write=True) as session:
        issue = service.add_post(session, tenant_id_of(session, tenant), issue_id, text, status=status)
        typer.echo(f"{issue.id} {issue.status}: {len(issue.posts)} posts")


@issue_app.command("resolve")
def issue_resolve(
    issue_id: str,
    text: str | None = typer.Option(None, help="The final post."),
    status: str = typer.Option("serviceRestored", help="serviceRestored, falsePositive, resolved, ..."),
    report: Path | None = typer.Option(None, help="A post-incident review (text file) to publish."),
    tenant: str = Tenant,
    data_dir: Path | None = DataDir,
) -> None:
    """Resolve an issue."""
    context = _context(data_dir)
    review = report.read_text(encoding="utf-8") if report else None
    with transaction(context.sessions, write=True) as session:
        issue = service.resolve_issue(
            session, tenant_id_of(session, tenant), issue_id, text=text, status=status, incident_report=review
        )
        typer.echo(f"{issue.id} {issue.status}")


@issue_app.command("list")
def issue_list(
    open_only: bool = typer.Option(False, "--open", help="Only unresolved issues."),
    tenant: str = Tenant,
    data_dir: Path | None = DataDir,
) -> None:
    """List a tenant's issues, newest first."""
    context = _context(data_dir)
    with transaction(context.sessions) as session:
        for issue in repository.issues_of(session, tenant_id_of(session, tenant), open_only=open_only):
            typer.echo(f"{issue.id}\t{issue.status}\t{issue.service}\t{issue.title}")


@app.command("import")
def import_json(file: Path, tenant: str = Tenant, data_dir: Path | None = DataDir) -> None:
    """Load Graph JSON (issues, messages or healthOverviews with issues) into a tenant."""
    context = _context(data_dir)
    with transaction(context.sessions, write=True) as session:
        counts = importer.import_file(session, tenant_id_of(session, tenant), file)
    typer.echo(f"imported {counts.issues} issues and {counts.messages} messages")


@app.command("generate")
def generate(
    count: int = typer.Option(30, help="How many issues."),
    seed: int = typer.Option(0, help="Same seed, same issues."),
    tenant: str = Tenant,
    data_dir: Path | None = DataDir,
) -> None:
    """Make demo service health issues."""
    context = _context(data_dir)
    with transaction(context.sessions, write=True) as session:
        made = generator.generate(session, tenant_id_of(session, tenant), count, seed)
    typer.echo(f"generated {len(made)} issues")


def replay_command(
    until: str = typer.Option(
        ..., help="Serve the feed as it stood at this time, e.g. 2026-01-01T00:00:00Z."
    ),
    file: Path = typer.Option(..., help="The replay file, e.g. datasets/m365-message-center/replay.jsonl."),
    tenant: str = Tenant,
    data_dir: Path | None = DataDir,
) -> None:
    """Set a tenant's Message Center to the recorded history as it stood at UNTIL."""
    try:
        moment: dt.datetime = parse_datetime(until)
    except ODataError as error:
        raise UserError(str(error)) from None
    events = replay.load_events(file)
    context = _context(data_dir)
    with transaction(context.sessions, write=True) as session:
        result = replay.apply_until(session, tenant_id_of(session, tenant), events, moment)
    typer.echo(
        f"{result.events} events up to {until}: {result.live} messages live "
        f"({result.written} written, {result.deleted} removed)"
    )
