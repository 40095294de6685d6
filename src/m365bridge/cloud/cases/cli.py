"""``m365bridge cloud outbox …``: run the case-event delivery worker and tend its dead letters."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from m365bridge.cloud.cases import service
from m365bridge.cloud.cases.delivery import DeliveryWorker
from m365bridge.cloud.connectors.client import outbound_http
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction

app = typer.Typer(help="Delivery of case events to connectors.", no_args_is_help=True)
DataDir = typer.Option(None, "--data-dir", help="Folder of the cloud's database and keys.")


def _context(data_dir: Path | None) -> CloudContext:
    return CloudContext.build(CloudSettings(data_dir=data_dir) if data_dir else CloudSettings())


@app.command("run")
def run(
    once: bool = typer.Option(False, "--once", help="Deliver what is due now, then exit."),
    data_dir: Path | None = DataDir,
) -> None:
    """Deliver case events until Ctrl-C (safe to run beside other workers)."""
    context = _context(data_dir)
    try:
        with outbound_http(context) as http:
            worker = DeliveryWorker(context, http)
            if once:
                typer.echo(f"tried {worker.run_until_idle()} events")
                return
            stop = threading.Event()
            try:
                worker.run_forever(stop)
            except KeyboardInterrupt:
                stop.set()
    finally:
        context.close()


@app.command("dead")
def dead(data_dir: Path | None = DataDir) -> None:
    """List dead-lettered events: id, case id, sequence, type, last error."""
    context = _context(data_dir)
    try:
        with transaction(context.sessions) as session:
            for event in service.dead_events(session):
                typer.echo(f"{event.id}\t{event.case_id}\t{event.sequence}\t{event.type}\t{event.last_error}")
    finally:
        context.close()


@app.command("retry")
def retry(event_id: str, data_dir: Path | None = DataDir) -> None:
    """Put a dead-lettered event back in line."""
    context = _context(data_dir)
    try:
        with transaction(context.sessions, write=True) as session:
            service.retry_event(session, event_id)
        typer.echo(f"event {event_id} queued again")
    finally:
        context.close()
