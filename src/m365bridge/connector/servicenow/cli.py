"""``m365bridge connector servicenow …``: connect the connector to a customer's ServiceNow instance."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from m365bridge.connector.context import cli_context
from m365bridge.connector.servicenow import service, update_set
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.connection_test import Outcome, run_checks
from m365bridge.connector.servicenow.errors import ServiceNowError
from m365bridge.connector.servicenow.runner import sync_once
from m365bridge.shared.db import transaction

app = typer.Typer(help="A customer's own ServiceNow instance.", no_args_is_help=True)
DataDir = typer.Option(None, "--data-dir", help="The connector's data folder.")
STYLES = {Outcome.PASSED: "green", Outcome.WARNING: "yellow", Outcome.FAILED: "red", Outcome.SKIPPED: "dim"}


@app.command("configure")
def configure(
    url: str = typer.Option(..., help="The instance, e.g. https://dev12345.service-now.com"),
    auth_type: AuthType = typer.Option(..., help="basic, oauth_password or oauth_client_credentials."),
    user_name: str = typer.Option("", help="The integration account (basic, oauth_password)."),
    client_id: str = typer.Option("", help="Application Registry client id (the two OAuth types)."),
    password: str | None = typer.Option(
        None,
        envvar="M365BRIDGE_SERVICENOW_PASSWORD",
        help="The account's password; asked when needed and not given. Stored encrypted.",
    ),
    client_secret: str | None = typer.Option(
        None,
        envvar="M365BRIDGE_SERVICENOW_CLIENT_SECRET",
        help="The OAuth client secret; asked when needed and not given. Stored encrypted.",
    ),
    use: bool | None = typer.Option(
        None,
        "--use/--no-use",
        help="Make this instance the service desk in use (--no-use: back to the built-in desk). "
        "Left as it is when not given; a new instance starts unused.",
    ),
    agent_view: str | None = typer.Option(
        None,
        help="What agents see: work_notes (the connector's work notes), tab (the Microsoft 365 support "
        "tab) or both (the default).",
    ),
    data_dir: Path | None = DataDir,
) -> None:
    """Store the instance URL and credentials (secrets encrypted); then run test-connection."""
    with cli_context(data_dir) as context:
        with transaction(context.sessions) as session:
            stored = service.find_connection(session)
            has_password = bool(stored and stored.password)
            has_secret = bool(stored and stored.client_secret)
        if auth_type in (AuthType.BASIC, AuthType.PASSWORD) and password is None and not has_password:
            password = typer.prompt("Password", hide_input=True)
        if auth_type is not AuthType.BASIC and client_secret is None and not has_secret:
            client_secret = typer.prompt("Client secret", hide_input=True)
        wanted = service.ConnectionSettings(
            url=url,
            auth_type=auth_type,
            user_name=user_name,
            password=password,
            client_id=client_id,
            client_secret=client_secret,
        )
        with transaction(context.sessions, write=True) as session:
            connection = service.configure(
                session,
                context.secrets,
                wanted,
                allow_loopback_http=context.settings.servicenow_allow_loopback_http,
            )
            if agent_view is not None:
                service.set_agent_view(session, agent_view)
            if use is not None:
                service.use_instance(session, use)
            typer.echo(f"ServiceNow instance {connection.url} configured ({connection.auth_type}).")
            desk = "this instance" if connection.enabled else "the built-in service desk"
            typer.echo(f"Service desk in use: {desk}; agents see: {connection.agent_view}.")
    typer.echo("Run 'm365bridge connector servicenow test-connection' to check it.")


@app.command("sync-now")
def sync_now(data_dir: Path | None = DataDir) -> None:
    """One pass of the runner now: poll the instance's changed incidents, then deliver the queued writes."""
    with cli_context(data_dir) as context:
        try:
            result = sync_once(context)
        except ServiceNowError as error:
            typer.echo(f"Sync failed: {error.explain()}", err=True)
            raise typer.Exit(1) from error
    if not result.in_use:
        typer.echo("The built-in service desk is in use; enable the instance with 'configure ... --use'.")
        return
    typer.echo(
        f"Polled {result.changed} changed incident(s) in {result.poll_requests} request(s); delivered "
        f"{result.delivered} write(s), {result.retrying} to retry, {result.failed} refused."
    )
    if result.failed:
        raise typer.Exit(1)


@app.command("test-connection")
def test_connection(data_dir: Path | None = DataDir) -> None:
    """Four checks that change nothing on the instance: reachable and JSON, credentials, roles, clocks."""
    with cli_context(data_dir) as context:
        client = service.open_client(context)
        try:
            results = run_checks(context, client)
        finally:
            client.close()
    table = Table(title=f"Test connection: {client.base_url}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("details")
    for result in results:
        style = STYLES[result.outcome]
        table.add_row(result.name, f"[{style}]{result.outcome.value}[/{style}]", result.message)
    Console(width=140).print(table)
    if any(result.outcome is Outcome.FAILED for result in results):
        raise typer.Exit(1)


@app.command(
    "update-set",
    help="Write an update set (XML) adding a 'Microsoft 365 support' button to the incident form, "
    "opening this connector's tab for the incident. The XML follows ServiceNow's documented update set "
    "export format; it is checked against that format, not against a live instance. Install it with "
    "System Update Sets > Retrieved Update Sets > Import Update Set from XML, then Preview and Commit "
    "(docs/servicenow.md).",
)
def write_update_set(
    output: Path = typer.Option(Path("m365bridge-update-set.xml"), "--output", "-o", help="File to write."),
    connector_url: str | None = typer.Option(
        None, help="The connector's URL as agents' browsers reach it; default: its public_url."
    ),
    data_dir: Path | None = DataDir,
) -> None:
    with cli_context(data_dir) as context:
        url = connector_url or context.settings.base_url
        xml = update_set.build(url, allow_loopback_http=context.settings.servicenow_allow_loopback_http)
    output.write_text(xml, encoding="utf-8")
    typer.echo(f"wrote {output}: the button opens {url.rstrip('/')}{update_set.TAB_PATH}")
