"""A connector process for the kill -9 tests: ``python -m tests.connector.servicenow.worker MODE ...``.

``deliver``: deliver the outbox to the instance, dying (SIGKILL) right after the first work note's PATCH
returns, before the outbox's bookkeeping; ``--clock-minutes`` moves the delivery's clock on, as a restart
after the claim's lease would be. ``poll``: one runner pass with a change handler that appends each
page's sys_ids to ``--handled`` (a line per page) and dies right after handling page ``--kill-at-page``
(before the watermark).
Exit 0 means the process finished its work without being killed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
from collections.abc import Sequence
from pathlib import Path

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk import outbox
from m365bridge.connector.servicedesk.port import DeskIncident, WorkNote
from m365bridge.connector.servicenow import runner, service
from m365bridge.connector.servicenow.desk import InstanceWriter
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.orm import utcnow


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class DiesAfterTheWrite(InstanceWriter):
    def add_work_note(self, note: WorkNote) -> None:
        super().add_work_note(note)
        die()  # the note is on the instance; the outbox has not heard of it


def deliver(context: ConnectorContext, clock_minutes: int) -> None:
    client = service.open_client(context)
    try:
        outbox.deliver_due(
            context.sessions, DiesAfterTheWrite(client), now=utcnow() + dt.timedelta(minutes=clock_minutes)
        )
    finally:
        client.close()


def poll(context: ConnectorContext, handled: Path, kill_at_page: int, page_size: int) -> None:
    pages = 0

    def handler(_context: ConnectorContext, incidents: Sequence[DeskIncident]) -> None:
        nonlocal pages
        pages += 1
        with handled.open("a", encoding="utf-8") as log:
            log.write(" ".join(incident.sys_id for incident in incidents) + "\n")  # one line per page
            log.flush()
            os.fsync(log.fileno())
        if pages == kill_at_page:
            die()

    runner.register_change_handler(handler)
    runner.sync_once(context, page_size=page_size)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["deliver", "poll"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--ca-bundle", type=Path, required=True)
    parser.add_argument("--clock-minutes", type=int, default=0)
    parser.add_argument("--handled", type=Path)
    parser.add_argument("--kill-at-page", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    settings = ConnectorSettings(
        data_dir=args.data_dir,
        database_url=args.database_url,
        ca_bundle=args.ca_bundle,
        housekeeping_interval_seconds=0,
        health_sync_autostart=False,
        allow_private_endpoints=True,
    )
    context = ConnectorContext.build(settings)
    try:
        if args.mode == "deliver":
            deliver(context, args.clock_minutes)
        else:
            poll(context, args.handled, args.kill_at_page, args.page_size)
    finally:
        context.close()


if __name__ == "__main__":
    main()
