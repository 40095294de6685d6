"""``m365bridge connector logs http …``: the outbound HTTP log from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from m365bridge.connector.context import cli_context
from m365bridge.connector.logs import http_log
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.numbers import whole_number
from m365bridge.shared.orm import utcnow

# Ten years in minutes; a larger --since amount is not a duration but a typo (and overflows timedelta).
MAX_SINCE_AMOUNT = 10 * 366 * 24 * 60


def parse_since(value: str | None) -> dt.datetime | None:
    """'2h', '30m', '7d' or an ISO timestamp (UTC when no zone is given)."""
    if not value:
        return None
    units = {"m": "minutes", "h": "hours", "d": "days"}
    amount = whole_number(value[:-1], maximum=MAX_SINCE_AMOUNT)
    if amount is not None and value[-1] in units:
        return utcnow() - dt.timedelta(**{units[value[-1]]: amount})
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--since '{value}' is neither like 2h/30m/7d nor an ISO timestamp.") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def http(
    host: str | None = typer.Option(None, help="Only requests to this host."),
    since: str | None = typer.Option(None, help="Only newer requests: 2h, 30m, 7d or an ISO timestamp."),
    source: str | None = typer.Option(None, help="Only requests of this feature, e.g. service_health."),
    errors: bool = typer.Option(False, "--errors", help="Only failed requests (no answer or HTTP >= 400)."),
    limit: int = typer.Option(100, help="At most this many rows, newest first."),
    purge: bool = typer.Option(False, "--purge", help="Delete rows older than the retention setting."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="The connector's data folder."),
) -> None:
    """Show the outbound HTTP log (what the connector sent, with secrets redacted)."""
    with cli_context(data_dir) as context, transaction(context.sessions, write=True) as session:
        if purge:
            gone = http_log.purge(session, retention_days=context.settings.http_log_retention_days)
            typer.echo(f"purged {gone} row(s)")
            return
        rows = http_log.search(
            session, host=host, source=source, since=parse_since(since), errors_only=errors, limit=limit
        )
        for row in rows:
            status = row.status if row.status is not None else "---"
            line = f"{row.created_at:%Y-%m-%d %H:%M:%S} {status} {row.duration_ms:>6}ms {row.source} "
            typer.echo(line + f"{row.method} {row.url}" + (f"  [{row.error}]" if row.error else ""))
