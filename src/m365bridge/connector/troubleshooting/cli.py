"""``m365bridge connector doctor``: the troubleshooting checks in a terminal; exit 0 only when all pass."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from m365bridge.connector.context import cli_context
from m365bridge.connector.troubleshooting.report import DoctorReport, Failure
from m365bridge.connector.troubleshooting.service import run_doctor


def doctor(
    data_dir: Path | None = typer.Option(None, "--data-dir", help="The connector's data folder."),
    offline: bool = typer.Option(False, "--offline", help="Skip the live token and support-service calls."),
) -> None:
    """Check the configuration and live connectivity; explain each failure with its troubleshooting row."""
    with cli_context(data_dir, read_only=True) as context:
        report = run_doctor(context, live_checks=not offline)
    console = Console()
    show(console, report)
    if not report.passed:
        raise typer.Exit(1)


def show(console: Console, report: DoctorReport) -> None:
    table = Table(title="m365bridge connector doctor", show_lines=False)
    table.add_column("Check")
    table.add_column("Rows")
    table.add_column("Result")
    for result in report.results:
        if result.skipped:
            outcome = Text(f"skipped: {result.skipped}", style="yellow")
        elif result.passed:
            outcome = Text("passed", style="green")
        else:
            outcome = Text(f"FAILED ({len(result.failures)})", style="bold red")
        table.add_row(result.name, ", ".join(f"#{n}" for n in result.rows), outcome)
    console.print(table)
    for failure in report.failures:
        console.print(failure_panel(failure))
    if report.passed:
        console.print("[green]Every check passed.[/]")
    else:
        rows = ", ".join(f"#{n}" for n in report.failing_rows)
        console.print(f"[bold red]Failing troubleshooting rows: {rows}[/]", highlight=False)


def failure_panel(failure: Failure) -> Panel:
    row = failure.row
    body = Text()
    body.append("What the user sees: ", style="bold")
    body.append(row.symptom + "\n")
    if row.message:
        body.append("Message: ", style="bold")
        body.append(f'"{row.message}"\n')
    body.append("Found: ", style="bold")
    body.append(failure.finding + "\n")
    body.append(f"Evidence ({row.look_at}):\n", style="bold")
    for line in failure.evidence or ("no matching log lines in the last day",):
        body.append(f"  {line}\n", style="dim")
    body.append("Cause: ", style="bold")
    body.append(row.cause + "\n")
    body.append("Fix: ", style="bold")
    body.append(row.fix)
    return Panel(body, title=f"Troubleshooting row {failure.row_numbers}", border_style="red", expand=True)
