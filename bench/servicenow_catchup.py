"""ServiceNow catch-up: the connector back after 2 hours down, with 5,000 incidents changed on the instance.

    python bench/servicenow_catchup.py [--incidents 5000] [--page-size 1000] [--rate-limit 0] [--quick]

The stand-in instance (a second connector's built-in service desk, Table API over https) runs in this
process on a free port, behind a counter of the requests it answers (and, with ``--rate-limit N``, a
limit of N requests per second answered with 429 and ``Retry-After``, as an instance's rate limit rule
would). The connector under test connects with Basic, makes the instance its desk and polls once (the
watermark), then "goes down": the incidents are written straight into the instance's database with
``sys_updated_on`` spread over the last 2 hours (backdated). The figure is one runner pass
(``runner.sync_once``) that catches up: wall time, requests the instance answered, 429s among them
(target: none), and whether every changed incident reached the change handler exactly once and the mirror.
The creation-to-work-note latency figure belongs to the insights work note and is measured elsewhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import Result
from sqlalchemy import func, insert, select

from m365bridge.connector.app import create_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.db import new_sys_id
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.servicedesk import forget_choice
from m365bridge.connector.servicedesk.port import DeskIncident
from m365bridge.connector.servicenow import runner, service
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.models import MirroredIncident
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ensure_server_certificate

ACCOUNT, PASSWORD = "m365.integration", "Integration-Pa55word!"
DOWNTIME = dt.timedelta(hours=2)


class Counted:
    """ASGI wrapper: counts the instance's answers by status; optionally a per-second rate limit."""

    def __init__(self, app: Any, rate_limit: int) -> None:
        self.app = app
        self.rate_limit = rate_limit
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._second = 0
        self._in_second = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._throttled():
            self.statuses[429] += 1
            await send({"type": "http.response.start", "status": 429, "headers": [(b"retry-after", b"1")]})
            await send({"type": "http.response.body", "body": b'{"status":"failure"}'})
            return

        async def counting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
            await send(message)

        await self.app(scope, receive, counting)

    def _throttled(self) -> bool:
        if not self.rate_limit:
            return False
        with self._lock:
            second = int(time.monotonic())
            if second != self._second:
                self._second, self._in_second = second, 0
            self._in_second += 1
            return self._in_second > self.rate_limit


def settings(root: Path, name: str, **extra: Any) -> ConnectorSettings:
    return ConnectorSettings(
        data_dir=root / name,
        housekeeping_interval_seconds=0,
        health_sync_autostart=False,
        servicenow_poll_seconds=0,  # the bench runs the passes itself
        allow_private_endpoints=True,
        **extra,
    )


def backdate(instance: ConnectorContext, count: int, now: dt.datetime) -> None:
    """``count`` incidents changed during the downtime, straight into the instance's table."""
    step = DOWNTIME / count
    rows = []
    for n in range(count):
        when = now - DOWNTIME + step * n
        rows.append(
            {
                "sys_id": new_sys_id(),
                "number": f"INC{2000000 + n}",
                "short_description": f"Outlook keeps asking for a password ({n})",
                "sys_created_on": when,
                "sys_updated_on": when,
                "opened_at": when,
            }
        )
    with transaction(instance.sessions, write=True) as session:
        session.execute(insert(Incident), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=runner.PAGE_SIZE)
    parser.add_argument("--rate-limit", type=int, default=0, help="Requests per second (0: none).")
    parser.add_argument("--quick", action="store_true", help="500 incidents (for the smoke test).")
    args = parser.parse_args()
    count = 500 if args.quick else args.incidents
    handled: Counter[str] = Counter()

    def handler(_context: ConnectorContext, incidents: Sequence[DeskIncident]) -> None:
        handled.update(incident.sys_id for incident in incidents)

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        tls = ensure_server_certificate(root / "tls")
        instance = ConnectorContext.build(settings(root, "instance"))
        with transaction(instance.sessions, write=True) as session:
            users.create_user(session, ACCOUNT, password=PASSWORD, roles=[ITIL], web_service_access_only=True)
        counted = Counted(create_app(context=instance), args.rate_limit)
        bridge = ConnectorContext.build(settings(root, "bridge", ca_bundle=tls.ca_cert))
        with serving(counted, tls=tls) as server:
            wanted = service.ConnectionSettings(server.url, AuthType.BASIC, ACCOUNT, PASSWORD)
            with transaction(bridge.sessions, write=True) as session:
                service.configure(session, bridge.secrets, wanted, allow_loopback_http=False)
                service.use_instance(session, True)
            forget_choice(bridge)
            runner.sync_once(bridge)  # before the downtime: the watermark
            backdate(instance, count, utcnow())
            runner.register_change_handler(handler)
            counted.statuses.clear()
            started = time.perf_counter()
            result = runner.sync_once(bridge, page_size=args.page_size)
            elapsed = time.perf_counter() - started
        with transaction(bridge.sessions) as session:
            mirrored = session.scalar(select(func.count()).select_from(MirroredIncident))
        bridge.close()
        instance.close()

    requests = sum(counted.statuses.values())
    refused = counted.statuses[429]
    once = len(handled) == count and set(handled.values()) == {1}
    print(f"changed during {DOWNTIME}: {count} incidents; page size {args.page_size}")
    print(f"catch-up: {elapsed:.1f} s, {requests} requests to the instance, {refused} answered 429")
    print(f"  poll requests {result.poll_requests}; statuses {dict(sorted(counted.statuses.items()))}")
    print(f"handled once each: {once} ({len(handled)} distinct); mirrored: {mirrored}")
    print(f"throughput: {count / elapsed:.0f} incidents/s")
    Result(
        what=f"ServiceNow catch-up ({count} incidents changed in 2 h of downtime)",
        figure=f"{elapsed:.1f} s, {requests} requests, {refused} x 429",
        baseline=f"{-(-count // args.page_size)} pages of {args.page_size}",
        ratio=None,
        target="every change handled once, mirrored; 0 x 429",
        passed=once and mirrored >= count and refused == 0,
    ).emit()


if __name__ == "__main__":
    main()
