"""``m365bridge connector logs …``: read and purge the system log and the outbound HTTP log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from m365bridge.connector.logs import system_log
from m365bridge.connector.logs.http_log_cli import MAX_SINCE_AMOUNT, http
from m365bridge.connector.users.cli import DataDir, open_context
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.numbers import whole_number

app = typer.Typer(help="The connector's logs.", no_args_is_help=True)
app.command("http")(http)


def parse_since(value: str | None) -> dt.datetime | None:
    """``2h``, ``30m``, ``7d`` or an ISO date/time (UTC when no zone is given)."""
    if not value:
        return None
    units = {"m": "minutes", "h": "hours", "d": "days"}
    amount = whole_number(value[:-1], maximum=MAX_SINCE_AMOUNT)
    if value[-1:] in units and amount is not None:
        return dt.datetime.now(dt.UTC) - dt.timedelta(**{units[value[-1]]: amount})
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"--since {value!r}: use e.g. 2h, 30m, 7d or 2025-05-30T10:00") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@app.command("system")
def system(
    source: str | None = typer.Option(None, help="e.g. x_mioms_m365_assis"),
    level: str | None = typer.Option(None, help="This level or worse: debug, info, warning, error."),
    since: str | None = typer.Option(None, help="2h, 30m, 7d or an ISO date/time."),
    limit: int = typer.Option(200),
    data_dir: Path | None = DataDir,
) -> None:
    """Show system-log lines, newest first."""
    context = open_context(data_dir, read_only=True)
    with transaction(context.sessions) as session:
        lines = system_log.search(session, source=source, level=level, since=parse_since(since), limit=limit)
        for line in lines:
            typer.echo(f"{line.created_at:%Y-%m-%d %H:%M:%S}\t{line.level}\t{line.source}\t{line.message}")


@app.command("purge")
def purge(data_dir: Path | None = DataDir) -> None:
    """Delete system-log lines older than the retention setting."""
    context = open_context(data_dir)
    with transaction(context.sessions, write=True) as session:
        removed = system_log.purge(session, context.settings.system_log_retention_days)
    typer.echo(f"removed {removed} lines")
