"""Latency of the Microsoft 365 Insights API, end to end over real https: client → connector → cloud → back.

    .venv/bin/python bench/insights_latency.py            # full OfficeDocs KB, 1,000 issues, 300 requests
    .venv/bin/python bench/insights_latency.py --quick    # starter KB, 50 issues, 20 requests (smoke test)
    .venv/bin/python bench/insights_latency.py --profile  # also profile both sides' work (pyinstrument)
    .venv/bin/python bench/insights_latency.py --before-src /tmp/before/src  # before/after in one run

Both sides are served by uvicorn over https on free loopback ports, each in a thread of this process; the
requests are sequential, so the two servers and the client take turns rather than compete. The connector is
set up the way the demo sets it up (Insights only mode, Test connection passed) and has synced the cloud's
service health once. The client is an agent signed in with a session cookie, as the tab's browser is.

Beside the insights call it measures, in the same run and with the same client: the connector's ``/healthz``
round trip (the floor of any request) and the cloud's recommended-solutions search called directly with the
outbound app's token (the part of the insights call spent on the cloud side). Last line:
``insights p50_ms=… p95_ms=… (baseline healthz p50_ms=… p95_ms=…)``.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from harness import Result, ratio
from sqlalchemy import select

import m365bridge
from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph.generator import generate
from m365bridge.cloud.knowledge.importer import STARTER_FOLDER, STARTER_OPTIONS, ImportOptions, import_folder
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.auth.sessions.service import SESSION_COOKIE
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.models import ServiceHealthIssue
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup.gate import current_setup
from m365bridge.demo.connector_setup import provision_connector_setup
from m365bridge.demo.identity import provision_identity
from m365bridge.demo.provision import DemoRecord
from m365bridge.demo.support import provision_support
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import free_port, serving
from m365bridge.shared.tls import ensure_server_certificate

ARTICLES = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "officedocs-support" / "articles"
API = "/api/x_mioms_m365_assis/v1/incidents"
TARGET_P95_MS = 50.0
# Agents' own words for everyday problems, so that the solutions search works as hard as it does in use.
COMPLAINTS = (
    "Outlook keeps asking for my password after the update",
    "Cannot open shared mailbox in Outlook on the web",
    "Teams meeting audio drops every few minutes",
    "OneDrive sync is stuck on processing changes",
    "SharePoint site shows access denied for guest users",
    "Emails to external recipients bounce with 550 5.7.1",
    "Calendar invites are not showing up for the room mailbox",
    "Excel file opens as read only from SharePoint",
)


@dataclass
class Stack:
    cloud: CloudContext
    connector: ConnectorContext
    record: DemoRecord
    connector_url: str
    ca_file: Path


@contextmanager
def running_stack(folder: Path, articles: Path | None, issues: int) -> Iterator[Stack]:
    """Both sides served over https, the KB and issues on the cloud, the connector set up and synced."""
    tls = ensure_server_certificate(folder / "tls")
    cloud_port, connector_port = free_port(), free_port()
    cloud_url, connector_url = f"https://localhost:{cloud_port}", f"https://localhost:{connector_port}"
    cloud = CloudContext.build(
        # Latency, not the per-tenant search limit (600 a minute), is measured: this run asks more often.
        CloudSettings(data_dir=folder / "cloud", public_url=cloud_url, solutions_tenant_rate_limit=100_000)
    )
    connector = ConnectorContext.build(
        ConnectorSettings(
            allow_private_endpoints=True,
            data_dir=folder / "connector",
            public_url=connector_url,
            ca_bundle=tls.ca_cert,
            health_sync_autostart=False,
        )
    )
    with transaction(cloud.sessions) as session:
        if articles is None:
            import_folder(session, STARTER_FOLDER, STARTER_OPTIONS)
        else:
            import_folder(session, articles, ImportOptions())
    with ExitStack() as stack:
        stack.enter_context(serving(create_cloud_app(context=cloud), port=cloud_port, tls=tls))
        stack.enter_context(serving(create_connector_app(context=connector), port=connector_port, tls=tls))
        record = DemoRecord(
            mode="insights",
            identity_url=cloud_url,
            graph_url=f"{cloud_url}/graph",
            support_url=f"{cloud_url}/support",
            connector_url=connector_url,
            ca_bundle=str(tls.ca_cert),
        )
        provision_identity(record, cloud)
        with transaction(cloud.sessions) as session:
            generate(session, record.tenant["id"], issues, seed=7)
        provision_support(record, cloud)
        provision_connector_setup(record, cloud, connector)
        outcome = sync_service_health(connector, entity_id=_entity(connector), graph_url=record.graph_url)
        if outcome.error:
            raise RuntimeError(f"the connector could not sync service health: {outcome.error}")
        yield Stack(cloud, connector, record, connector_url, tls.ca_cert)
    connector.close()
    cloud.close()


def _entity(connector: ConnectorContext) -> str:
    with transaction(connector.sessions) as session:
        view = current_setup(session)
    if view is None or not view.outbound_entity_id:
        raise RuntimeError("the demo setup left no outbound OAuth provider")
    return view.outbound_entity_id


def make_incidents(connector: ConnectorContext, count: int) -> list[str]:
    """Incidents whose short descriptions name synced issues' problems or everyday complaints."""
    with transaction(connector.sessions) as session:
        titles = list(session.scalars(select(ServiceHealthIssue.title).limit(count // 2)))
        texts = [*titles, *COMPLAINTS][:count]
        return [
            incidents.create_incident(
                session,
                {"short_description": text, "description": f"User reports: {text.lower()}."},
                incidents.SYSTEM,
            ).sys_id
            for text in texts
        ]


def signed_in_client(stack: Stack) -> httpx.Client:
    agent = stack.record.users["agent"]
    trust = ssl.create_default_context(cafile=stack.ca_file)
    # The first call builds the cloud's KB index (seconds for the full KB); later ones take milliseconds.
    client = httpx.Client(base_url=stack.connector_url, verify=trust, timeout=120)
    form = client.get("/login").text
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/login", data={"user_name": agent["user_name"], "password": agent["password"], "csrf_token": csrf}
    )
    if answer.status_code >= 400 or SESSION_COOKIE not in client.cookies:
        raise RuntimeError(f"the agent could not sign in (HTTP {answer.status_code})")
    # A session caller sends the CSRF token of its session on every /api call, as the tab's pages do.
    home = client.get("/").text
    client.headers["X-CSRF-Token"] = home.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client


def timed(count: int, call: Callable[[int], httpx.Response]) -> list[float]:
    """Milliseconds of ``count`` calls, after two warm-up calls; any failed call stops the bench."""
    for number in range(2):
        call(number).raise_for_status()
    samples = []
    for number in range(count):
        started = time.perf_counter()
        response = call(number)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def figures(samples: list[float]) -> str:
    return f"p50_ms={percentile(samples, 0.50):.1f} p95_ms={percentile(samples, 0.95):.1f}"


def cloud_search(stack: Stack, client: httpx.Client, texts: list[str]) -> Callable[[int], httpx.Response]:
    outbound = stack.record.apps["outbound"]
    token = client.post(
        f"{stack.record.identity_url}/{stack.record.tenant['id']}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": outbound["client_id"],
            "client_secret": outbound["client_secret"],
            "resource": "api://m365-support",
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{stack.record.support_url}/v1/solutions/search"
    return lambda n: client.post(url, json={"text": texts[n % len(texts)], "top": 10}, headers=headers)


Samples = dict[str, list[float]]  # "insights", "healthz", "search" -> milliseconds per call


def measure(args: argparse.Namespace) -> Samples:
    """Set both sides up in a temporary folder and time the three kinds of call in turn."""
    articles = None if args.quick else args.articles
    issues = 50 if args.quick else args.issues
    requests = 20 if args.quick else args.requests
    if articles is not None and not articles.is_dir():
        raise SystemExit(f"the OfficeDocs articles are absent: {articles} (use --quick for the starter KB)")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with running_stack(Path(folder), articles, issues) as stack:
            kb = articles or "starter"
            print(f"setup: {time.perf_counter() - started:.1f} s ({issues} issues, KB: {kb})")
            sys_ids = make_incidents(stack.connector, 20)
            with transaction(stack.connector.sessions) as session:
                # The text the connector sends for each incident: short description and description.
                texts = [
                    f"{found.short_description}\n{found.description}".strip()
                    for found in (incidents.get_incident(session, s) for s in sys_ids)
                ]
            client = signed_in_client(stack)
            try:

                def insights(n: int) -> httpx.Response:
                    return client.get(f"{API}/{sys_ids[n % len(sys_ids)]}/insights")

                if args.profile:
                    profile_connector(stack, sys_ids)
                    profile_cloud(stack, client, texts)
                return {
                    "insights": timed(requests, insights),
                    "healthz": timed(requests, lambda _n: client.get("/healthz")),
                    "search": timed(requests, cloud_search(stack, client, texts)),
                }
            finally:
                client.close()


def measure_child(args: argparse.Namespace, src: Path | None) -> Samples:
    """The same measurement in a child process, importing ``src`` (an earlier ``src/``) when given."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "samples.json"
        command = [sys.executable, __file__, "--samples-out", str(out), "--articles", str(args.articles)]
        command += ["--issues", str(args.issues), "--requests", str(args.requests)]
        command += ["--quick"] if args.quick else []
        env = {**os.environ, "PYTHONPATH": str(src.resolve())} if src else None
        subprocess.run(command, env=env, check=True, stdout=sys.stderr)
        samples: Samples = json.loads(out.read_text())
        return samples


def before_and_after(args: argparse.Namespace) -> tuple[Samples, Samples]:
    """``--rounds`` alternating child runs of the earlier tree and this one, samples pooled per tree, so
    that a change in the machine's load falls on both alike."""
    before: Samples = {"insights": [], "healthz": [], "search": []}
    after: Samples = {"insights": [], "healthz": [], "search": []}
    for _ in range(args.rounds):
        for pooled, src in ((before, args.before_src), (after, None)):
            for kind, samples in measure_child(args, src).items():
                pooled[kind] += samples
    return before, after


def run(args: argparse.Namespace) -> None:
    if args.samples_out:  # the child of --before-src: measure, hand the samples back, judge nothing
        print(f"source: {Path(m365bridge.__file__).parent}")
        args.samples_out.write_text(json.dumps(measure(args)))
        return
    before, samples = before_and_after(args) if args.before_src else (None, measure(args))
    measured, healthz, search = samples["insights"], samples["healthz"], samples["search"]
    if before is not None:
        print(
            f"before ({args.before_src}): insights {figures(before['insights'])}; "
            f"cloud search alone {figures(before['search'])}; healthz {figures(before['healthz'])}"
        )
        print(
            f"after (this tree): insights {figures(measured)}; cloud search alone {figures(search)}; "
            f"healthz {figures(healthz)}"
        )
    print(f"cloud search alone {figures(search)}")
    p95 = percentile(measured, 0.95)
    Result(
        what="Insights for an incident (client -> connector -> cloud, https)",
        figure=f"insights {figures(measured)}",
        baseline=f"healthz {figures(healthz)}; cloud search alone {figures(search)}",
        ratio=ratio(p95, percentile(search, 0.95)),
        target=f"p95 <= {TARGET_P95_MS:.0f} ms",
        passed=p95 <= TARGET_P95_MS,
    ).emit()
    print(f"insights {figures(measured)} (baseline healthz {figures(healthz)})")


def profile_connector(stack: Stack, sys_ids: list[str]) -> None:
    """The connector's share of one insights call, profiled in this thread (the cloud still serves it)."""
    from pyinstrument import Profiler

    from m365bridge.connector.auth.principal import Principal
    from m365bridge.connector.insights.service import run_insights
    from m365bridge.connector.servicedesk import desk_for
    from m365bridge.connector.users.roles import INSIGHTS_USER

    agent = Principal("bench", "agent", frozenset({INSIGHTS_USER}), "session")

    def ask(sys_id: str) -> None:
        with transaction(stack.connector.sessions) as session:
            incident = desk_for(stack.connector).get_incident(session, sys_id)
            run_insights(stack.connector, session, incident, agent)

    for sys_id in sys_ids:  # warm: tokens, pooled connections, the issue index
        ask(sys_id)
    profiler = Profiler(interval=0.0005)
    with profiler:
        for sys_id in sys_ids * 5:
            ask(sys_id)
    print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)


def profile_cloud(stack: Stack, client: httpx.Client, texts: list[str]) -> None:
    """The cloud's share: the search endpoint's work (caller check, ranking, answer), in this thread."""
    from pyinstrument import Profiler

    from m365bridge.cloud.knowledge import service
    from m365bridge.cloud.knowledge.access import authenticate
    from m365bridge.cloud.knowledge.schemas import SolutionOut, SolutionsOut

    authorization = cloud_search(stack, client, texts)(0).request.headers["Authorization"]

    def ask(text: str) -> None:
        with transaction(stack.cloud.sessions) as session:
            who = authenticate(stack.cloud, session, authorization)
            found = service.recommend(stack.cloud, session, text, top=10, tenant_id=who.tenant_id)
            answer = SolutionsOut(value=[SolutionOut(**vars(item)) for item in found], public_only=False)
            answer.model_dump_json()

    profiler = Profiler(interval=0.0005)
    with profiler:
        for text in texts * 5:
            ask(text)
    print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=Path, default=ARTICLES, help="OfficeDocs articles folder.")
    parser.add_argument("--issues", type=int, default=1000, help="Generated service health issues.")
    parser.add_argument("--requests", type=int, default=300, help="Measured requests per call kind.")
    parser.add_argument("--quick", action="store_true", help="Starter KB, 50 issues, 20 requests.")
    parser.add_argument("--profile", action="store_true", help="Profile both sides' work to stderr.")
    parser.add_argument(
        "--before-src",
        type=Path,
        help="Measure this source tree (`git archive` of an earlier src/) and this tree in alternating child "
        "processes, and print both trees' figures, for a before/after in one run.",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="With --before-src: child runs of each tree, alternating."
    )
    parser.add_argument("--samples-out", type=Path, help=argparse.SUPPRESS)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
