"""Inbound case events per second on the connector's Endpoint, beside a bare FastAPI endpoint.

    python bench/events_rate.py --auth basic|aad [--cases 400] [--rounds 5] [--concurrency 32] [--quick]

Set-up: ``m365bridge demo``'s provisioning (in this process) completes the chosen mode on a fresh data
folder; the cloud side keeps running here (identity, for AAD tokens and the JWKS). The connector is then
served alone in its own process (``bench/serve.py connector``), as is the baseline (``bench/serve.py bare``:
the same route and body model, nothing else), both through the same uvicorn configuration on plain http.
``--cases`` incidents each get ``--rounds`` events (created, then messages and status changes in turn),
posted in rounds by ``bench/load.py`` from a separate process with ``--concurrency`` requests in flight,
authenticated as the integration user: a bearer from the connector's ``oauth_token.do`` (basic) or an
Entra-style JWT from the cloud identity service (aad).

Figures: events applied per second (every one authenticated, deduplicated, persisted, work note written;
checked in the database afterwards), the bare endpoint's rate (mean of one run before and one after the
connector's), their ratio, and the connector process's RSS after the run. Targets: at least 1,500 events/s
and 0.30 of the bare rate; RSS at most 200 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import ssl
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
from harness import (
    BENCH_DIR,
    Result,
    cpu_seconds,
    free_port,
    ratio,
    rss_mb,
    run_load,
    served_pid,
    server_process,
)
from sqlalchemy import func, select

from m365bridge.connector.cases.models import CaseEvent
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents.models import JournalEntry
from m365bridge.connector.incidents.service import SYSTEM, create_incident
from m365bridge.connector.incidents.table import Journal
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.demo.runner import start_demo
from m365bridge.shared.db import transaction

EVENTS_PATH = "/api/x_mioms_m365_assis/inbound/v1/events"
TARGET_RATE, TARGET_RATIO, TARGET_RSS_MB = 1500.0, 0.30, 200.0


def events(incidents: list[str], rounds: int) -> list[dict[str, Any]]:
    """Round r holds event r of every case, so one case's events arrive in order under any concurrency
    smaller than the number of cases."""
    cases = [(uuid.uuid4().hex[:32], f"CS{index:07d}", sys_id) for index, sys_id in enumerate(incidents)]
    stamp = dt.datetime.now(dt.UTC)
    bodies = []
    for sequence in range(1, rounds + 1):
        for case_id, number, sys_id in cases:
            kind, data = _event_data(sequence)
            bodies.append(
                {
                    "id": str(uuid.uuid4()),
                    "sequence": sequence,
                    "type": kind,
                    "caseId": case_id,
                    "caseNumber": number,
                    "incidentSysId": sys_id,
                    "occurredAt": (stamp + dt.timedelta(seconds=sequence)).isoformat(),
                    "data": data,
                }
            )
    return bodies


def _event_data(sequence: int) -> tuple[str, dict[str, Any]]:
    if sequence == 1:
        return "case.created", {"title": "Mailbox cannot send mail", "status": "new"}
    if sequence % 2 == 0:
        body = f"Update {sequence}: we are looking at the transport logs for this mailbox."
        return "case.message", {
            "body": body,
            "author": "Microsoft Support Engineer",
            "authorKind": "engineer",
        }
    return "case.statusChanged", {"status": "inProgress", "previousStatus": "new"}


def write_bodies(path: Path, bodies: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(body) + "\n" for body in bodies))
    return path


def make_incidents(context: ConnectorContext, count: int) -> list[str]:
    with transaction(context.sessions) as session:
        return [
            create_incident(session, {"short_description": f"Bench incident {n}"}, SYSTEM).sys_id
            for n in range(count)
        ]


def credential(auth: str, record: dict[str, Any], connector_url: str) -> str:
    """The integration user's bearer token for this mode, obtained the way the support service does."""
    if auth == "basic":
        client = record["oauth_clients"]["support"]
        user = record["users"]["integration"]
        form = {
            "grant_type": "password",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "username": user["user_name"],
            "password": user["password"],
        }
        response = httpx.post(f"{connector_url}/oauth_token.do", data=form)
    else:
        rest_user, rest_api = record["apps"]["rest_user"], record["apps"]["rest_api"]
        form = {
            "grant_type": "client_credentials",
            "client_id": rest_user["client_id"],
            "client_secret": rest_user["client_secret"],
            "resource": rest_api["client_id"],
        }
        url = f"{record['identity_url']}/{record['tenant']['id']}/oauth2/token"
        response = httpx.post(url, data=form, verify=ssl.create_default_context(cafile=record["ca_bundle"]))
    response.raise_for_status()
    return str(response.json()["access_token"])


def bare_rate(bodies: Path, warmup: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with server_process(
        [str(BENCH_DIR / "serve.py"), "bare", "--port", str(port)], f"{url}/readyz"
    ) as server:
        load = {"concurrency": args.concurrency, "headers": {}, "loader": args.loader}
        return measure(served_pid(server), url + EVENTS_PATH, bodies, warmup, load)


def measure(pid: int, url: str, bodies: Path, warmup: Path, load: dict[str, Any]) -> dict[str, Any]:
    """Post ``warmup`` then ``bodies``; the load summary of the second, with the server's CPU time per
    acknowledged event over it (``cpu_ms``) and its RSS afterwards."""
    run_load(url, warmup, **load)
    cpu = cpu_seconds(pid)
    summary = run_load(url, bodies, **load)
    summary["cpu_ms"] = round((cpu_seconds(pid) - cpu) * 1000 / max(summary["ok"], 1), 3)
    summary["rss_mb"] = rss_mb(pid)
    return summary


def connector_rate(
    args: argparse.Namespace, record: dict[str, Any], data_dir: Path, bodies: Path, warmup: Path, **kw: Any
) -> dict[str, Any]:
    """Serve the connector on ``data_dir`` in its own process, warm it up, then post ``bodies``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [str(BENCH_DIR / "serve.py"), "connector", "--port", str(port)]
    serve += ["--data-dir", str(data_dir), "--ca-bundle", record["ca_bundle"]]
    with server_process(serve, f"{url}/readyz", **kw) as server:
        headers = {"Authorization": f"Bearer {credential(args.auth, record, url)}"}
        load = {"concurrency": args.concurrency, "headers": headers, "loader": args.loader}
        return measure(served_pid(server), url + EVENTS_PATH, bodies, warmup, load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--auth", choices=["basic", "aad"], default="basic")
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5, help="Events per case.")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--loader",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="Load generator: wrk (installed when missing) with bench/load.py as the fallback, or force one.",
    )
    parser.add_argument("--quick", action="store_true", help="20 cases, 2 rounds, 4 in flight (smoke test).")
    parser.add_argument(
        "--profile", type=Path, help="Sample the connector with py-spy into this file (collapsed stacks)."
    )
    parser.add_argument(
        "--before-src",
        type=Path,
        help="Also measure the connector from this source tree (`git archive` of an earlier src/), "
        "on its own cases in the same data folder, for a before/after in one run.",
    )
    args = parser.parse_args()
    if args.quick:
        args.cases, args.rounds, args.concurrency = 20, 2, 4
    total = args.cases * args.rounds
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        servers = start_demo(
            mode=args.auth, data_dir=root / "demo", cloud_port=free_port(), connector_port=free_port()
        )
        try:
            servers[1].stop()  # the connector is measured alone, in its own process
            record = json.loads((root / "demo" / "demo.json").read_text())
            data_dir = root / "demo" / "connector"
            context = ConnectorContext.build(ConnectorSettings(data_dir=data_dir), migrate_db=False)

            def bodies(name: str, cases: int, rounds: int) -> Path:
                return write_bodies(root / f"{name}.jsonl", events(make_incidents(context, cases), rounds))

            measured = bodies("events", args.cases, args.rounds)
            warmup = bodies("warmup", args.concurrency * 2, 1)
            before = bare_rate(measured, warmup, args)
            earlier = None
            if args.before_src:
                earlier = connector_rate(
                    args,
                    record,
                    data_dir,
                    bodies("events-before", args.cases, args.rounds),
                    bodies("warmup-before", args.concurrency * 2, 1),
                    env={"PYTHONPATH": str(args.before_src.resolve())},
                )
            ours = connector_rate(args, record, data_dir, measured, warmup, profile=args.profile)
            rss = ours["rss_mb"]
            after = bare_rate(measured, warmup, args)
            with transaction(context.sessions) as session:
                applied = session.scalar(select(func.count()).select_from(CaseEvent))
                notes = session.scalar(
                    select(func.count())
                    .select_from(JournalEntry)
                    .where(JournalEntry.element == Journal.WORK_NOTES.value)
                )
            context.close()
        finally:
            for server in servers:
                server.stop()
    runs = 2 if earlier else 1
    expected = runs * (total + args.concurrency * 2)  # warm-up cases too; every event writes a work note
    bare = (before["rate"] + after["rate"]) / 2
    print(f"load generator: {ours['loader']}")
    print(f"bare endpoint: {before['rate']} / {after['rate']} events/s (before / after), ", end="")
    print(f"{before['cpu_ms']} / {after['cpu_ms']} ms of server CPU per request")
    if earlier:
        print(f"connector from {args.before_src} (before): {earlier['rate']} events/s, {_details(earlier)}")
    print(f"connector ({args.auth}): {ours['rate']} events/s, {_details(ours)}")
    print(f"events in the ledger: {applied} (expected {expected}), work notes: {notes}")
    print(f"connector RSS after the run: {rss:.0f} MB (bare: {before['rss_mb']:.0f} MB)")
    complete = ours["ok"] == total and applied == expected and notes == expected
    Result(
        what=f"Inbound case events, {'Basic-mode bearer' if args.auth == 'basic' else 'AAD-mode JWT'}",
        figure=f"{ours['rate']:.0f} events/s" + ("" if complete else f" (only {ours['ok']}/{total} applied)"),
        baseline=f"{bare:.0f} req/s bare endpoint",
        ratio=ratio(ours["rate"], bare),
        target=f">= {TARGET_RATE:.0f}/s and >= {TARGET_RATIO} of bare",
        passed=complete and ours["rate"] >= TARGET_RATE and ours["rate"] >= TARGET_RATIO * bare,
    ).emit()
    Result(
        what=f"Memory (connector RSS after the {args.auth} events run)",
        figure=f"{rss:.0f} MB",
        baseline=f"{before['rss_mb']:.0f} MB bare endpoint",
        ratio=ratio(rss, before["rss_mb"]),
        target=f"<= {TARGET_RSS_MB:.0f} MB",
        passed=rss <= TARGET_RSS_MB,
    ).emit()


def _details(summary: dict[str, Any]) -> str:
    retried = f", {summary['retries']} retries" if summary.get("retries") else ""
    latency = f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms"
    return (
        f"statuses {summary['statuses']}{retried}, {latency}, {summary['cpu_ms']} ms of server CPU per event"
    )


if __name__ == "__main__":
    main()
