"""Service health sync: the Message Center replay through the connector's sync against the cloud's Graph.

    python bench/health_sync.py [--steps 150] [--quick] \
        [--replay /work/shared/datasets/m365-message-center/replay.jsonl]

The cloud side (identity + Graph, https, Graph's real throttle of 240 requests a minute and 800 an hour per
app per tenant) runs in this process on a free port; the connector side is a context on its own database
with the demo's outbound app as its OAuth provider. The replay's timeline is cut into ``--steps`` points
(the last one is its last event); at each, ``replay.apply_until`` moves the cloud's Message Center there
and ``sync_service_health`` runs once (the last run a full read, as the periodic full sync would, which
drops the messages that left the feed). Figures: the sync's wall time (replay steps excluded), requests made,
requests refused (429), and the final message count against the replay's state at its end. Baseline: the
least time Graph's throttle windows allow for that many requests, from a perfect client.
Also shown: the time the sync slept waiting for its budget or a Retry-After, and the connector's own time
(wall time less those waits). Target: no refusals, the replay's final state, and the connector's own time
at most the throttle's minimum (the throttle, not the connector, bounds the sync). The replay steps run
between the syncs, so Graph's windows see them as idle time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from harness import Result, ratio
from sqlalchemy import func, select

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import replay
from m365bridge.cloud.graph.odata import parse_datetime
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.models import ServiceMessage
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.registry import service as registry
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.demo.identity import provision_identity
from m365bridge.demo.provision import DemoRecord
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ensure_server_certificate

REPLAY = Path("/work/shared/datasets/m365-message-center/replay.jsonl")
GRAPH_WINDOWS = ((240, 60.0), (800, 3600.0))


def throttle_minimum(requests: int, windows: tuple[tuple[int, float], ...] = GRAPH_WINDOWS) -> float:
    """Seconds a perfect client needs for ``requests`` requests inside every sliding window."""
    times: list[float] = []
    for index in range(requests):
        earliest = max(
            [times[-1] if times else 0.0]
            + [times[index - limit] + seconds for limit, seconds in windows if index >= limit]
        )
        times.append(earliest)
    return times[-1] if times else 0.0


class Waits:
    """The sync's sleep: counts the seconds it waited for the throttle budget or a Retry-After."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds
        time.sleep(seconds)


def timeline(events: list[dict], steps: int) -> list[dt.datetime]:
    """``steps`` observation times spread evenly over the replay, ending at its last event."""
    stamps = sorted({parse_datetime(event["observedAt"]) for event in events})
    picks = {stamps[round(i * (len(stamps) - 1) / max(steps - 1, 1))] for i in range(steps)}
    return sorted(picks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replay", type=Path, default=REPLAY)
    parser.add_argument("--steps", type=int, default=150, help="Points of the timeline to sync at.")
    parser.add_argument("--quick", action="store_true", help="5 steps (for the smoke test).")
    args = parser.parse_args()
    events = replay.load_events(args.replay)
    points = timeline(events, 5 if args.quick else args.steps)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        tls = ensure_server_certificate(root / "tls")
        cloud = CloudContext.build(CloudSettings(data_dir=root / "cloud"))
        connector = ConnectorContext.build(
            ConnectorSettings(
                allow_private_endpoints=True, data_dir=root / "connector", ca_bundle=tls.ca_cert
            )
        )
        with serving(create_cloud_app(context=cloud), tls=tls) as server:
            record = DemoRecord("insights", server.url, f"{server.url}/graph", "", "", str(tls.ca_cert))
            provision_identity(record, cloud)
            tenant_id = record.tenant["id"]
            with transaction(connector.sessions) as session:
                entity = registry.create_entity(
                    session,
                    connector.secrets,
                    name="Azure",
                    client_id=record.apps["outbound"]["client_id"],
                    client_secret=record.apps["outbound"]["client_secret"],
                    token_url=f"{server.url}/{tenant_id}/oauth2/token",
                )
                entity_id = entity.id
            waits = Waits()
            syncing = replaying = 0.0
            requests = refused = 0
            errors: list[str] = []
            for point in points:
                started = time.perf_counter()
                with transaction(cloud.sessions) as session:
                    state = replay.apply_until(session, tenant_id, events, point)
                replaying += time.perf_counter() - started
                started = time.perf_counter()
                outcome = sync_service_health(
                    connector,
                    entity_id=entity_id,
                    graph_url=record.graph_url,
                    full=point == points[-1],
                    sleep=waits.sleep,
                )
                syncing += time.perf_counter() - started
                requests, refused = requests + outcome.requests, refused + outcome.refused
                if outcome.error:
                    errors.append(outcome.error)
            with transaction(connector.sessions) as session:
                stored = session.scalar(select(func.count()).select_from(ServiceMessage))
        connector.close()
        cloud.close()
    minimum = throttle_minimum(requests)
    print(f"steps: {len(points)}, replay (cloud side, excluded): {replaying:.1f} s")
    print(f"sync wall time: {syncing:.1f} s, requests: {requests}, refused (429): {refused}")
    print(f"messages stored: {stored}, live at the replay's end: {state.live}, sync errors: {len(errors)}")
    for error in errors[:3]:
        print(f"  error: {error}")
    own = syncing - waits.seconds
    print(f"waited for the budget or Retry-After: {waits.seconds:.1f} s; connector's own time: {own:.1f} s")
    print(f"throttle minimum for {requests} requests: {minimum:.1f} s")
    # Below Graph's first window (240 a minute) a perfect client needs no time at all, so the own-time
    # comparison only means something on a run that reaches the throttle (the full replay does).
    throttled = minimum > 0
    if not throttled:
        print(f"{requests} requests stay within Graph's budget: own time not compared (run without --quick)")
    Result(
        what="Service health sync (Message Center replay)",
        figure=f"{syncing:.1f} s, {requests} requests, {refused} refused",
        baseline=f"{minimum:.1f} s throttle minimum",
        ratio=ratio(syncing, minimum),
        target="0 refused; connector's own time <= throttle minimum"
        + ("" if throttled else " (not reached: own time not compared)"),
        passed=refused == 0 and not errors and stored == state.live and (own <= minimum or not throttled),
    ).emit()


if __name__ == "__main__":
    main()
