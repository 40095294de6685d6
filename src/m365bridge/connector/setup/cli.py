"""``m365bridge connector setup``: the setup flow without the pages, and its status."""

from __future__ import annotations

from pathlib import Path

import typer

from m365bridge.connector.context import cli_context
from m365bridge.connector.setup.completion import CompletionValues, completion_values
from m365bridge.connector.setup.gate import current_setup
from m365bridge.connector.setup.modes import LABELS, parse_mode
from m365bridge.connector.setup.noninteractive import load_config, run_setup
from m365bridge.connector.setup.service_desk import current_desk
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError

app = typer.Typer(help="The Microsoft 365 support setup flow.", invoke_without_command=True)
DataDir = typer.Option(None, "--data-dir", help="The connector's data folder.")


@app.callback()
def setup(
    ctx: typer.Context,
    mode: str | None = typer.Option(None, help="basic, aad, insights or none; default: the file's 'mode'."),
    config: Path | None = typer.Option(None, "--config", help="The setup file (TOML or YAML).", exists=True),
    data_dir: Path | None = DataDir,
) -> None:
    """Run every setup step from a file, then Test connection; Next is taken when all checks pass."""
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        raise UserError("Give the setup file with --config FILE (see docs/setup.md), or run 'setup status'.")
    settings = load_config(config)
    chosen = parse_mode(mode or str(settings.get("mode", "")))
    with cli_context(data_dir) as context:
        outcome = run_setup(context, chosen, settings)
    typer.echo(f"mode: {LABELS[chosen]}")
    for step in outcome.steps:
        typer.echo(f"  [{'ok' if step.ok else 'FAILED'}] {step.step}: {step.message}")
    if outcome.report is not None:
        for check in outcome.report.checks:
            typer.echo(f"  [{'ok' if check.ok else 'FAILED'}] Test connection, {check.name}: {check.message}")
    _echo_values(outcome.values)
    if not outcome.confirmed:
        raise UserError("Setup is not complete; fix what FAILED above and run the command again.")
    typer.echo("Test connection passed; setup is complete.")


@app.command("status")
def status(data_dir: Path | None = DataDir) -> None:
    """Where the setup stands, and the values to enter on the cloud side."""
    with cli_context(data_dir, read_only=True) as context, transaction(context.sessions) as session:
        view = current_setup(session)
        values = completion_values(session, context)
        desk = current_desk(session)
    typer.echo(f"service desk: {desk.label}")
    if view is None or view.mode is None:
        typer.echo("setup: not started")
        return
    state = "confirmed" if view.confirmed else ("finished, not confirmed" if view.finished else "in progress")
    typer.echo(f"setup: {state} (mode {LABELS[view.mode]})")
    _echo_values(values)


def _echo_values(values: CompletionValues) -> None:
    for label, value in values.rows():
        typer.echo(f"  {label}: {value or '-'}")
