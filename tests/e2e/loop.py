"""Both real apps served over https on loopback, provisioned by the demo's own functions, with the cloud's
outbox worker running; helpers to act as the agent (connector API) and the engineer (cloud services)."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.cases import service as cloud_cases
from m365bridge.cloud.cases.delivery import start_background
from m365bridge.cloud.cases.models import DELIVERED, OutboxEvent
from m365bridge.cloud.connectors import repository as cloud_connectors_repository
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.integration import service as integration
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.auth.models import OAuthClient, OAuthToken
from m365bridge.connector.cases.models import CaseEvent, SupportCase
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.demo.connector_setup import REPOSITORY_ID
from m365bridge.demo.provision import DemoRecord, provision
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import RunningServer, free_port, start_in_thread
from m365bridge.shared.tls import ServerCertificate

T = TypeVar("T")
API = "/api/x_mioms_m365_assis/v1"


def eventually(check: Callable[[], T | None], timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def write(sessions: Any, change: Callable[[Any], T]) -> T:
    """Run ``change`` in a transaction, again if SQLite refused to turn its read into a write because the
    other thread of this process (the outbox worker, the servers) wrote meanwhile."""
    for attempt in range(50):
        try:
            with transaction(sessions) as session:
                return change(session)
        except OperationalError as error:
            if "locked" not in str(error) or attempt == 49:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


@dataclass
class LoopPorts:
    """Where each side listens, and which public addresses go elsewhere (through a fault proxy).

    ``cloud_routes`` maps a DemoRecord URL field (``identity_url``, ``graph_url``, ``support_url``) to the
    port the connector should call for it instead of the cloud's own."""

    cloud: int = field(default_factory=free_port)
    connector: int = field(default_factory=free_port)
    connector_public: int | None = None
    cloud_routes: dict[str, int] = field(default_factory=dict)


@dataclass
class Loop:
    cloud: CloudContext
    connector: ConnectorContext
    record: DemoRecord
    tls: ServerCertificate
    servers: dict[str, RunningServer] = field(default_factory=dict)
    connector_port: int = 0
    worker_stop: threading.Event | None = None
    connector_process: subprocess.Popen[bytes] | None = None
    cloud_process: subprocess.Popen[bytes] | None = None

    @property
    def verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.tls.ca_cert))

    def agent(self, who: str = "escalation") -> httpx.Client:
        user = self.record.users[who]
        return httpx.Client(
            base_url=self.record.connector_url,
            auth=(user["user_name"], user["password"]),
            verify=self.verify,
            timeout=30,
        )

    def stop_connector(self) -> None:
        self.servers.pop("connector").stop()

    def start_connector(self) -> None:
        app = create_connector_app(context=self.connector)
        self.servers["connector"] = start_in_thread(app, port=self.connector_port, tls=self.tls)

    def start_connector_process(self) -> None:
        """The connector as its own process (``m365bridge connector serve``) on the same port, database,
        keys and certificate, so that it can be killed outright."""
        settings = self.connector.settings
        shutil.copytree(self.tls.ca_cert.parent, settings.data_dir / "tls", dirs_exist_ok=True)
        env = {
            **os.environ,
            "M365BRIDGE_CONNECTOR_PUBLIC_URL": str(settings.public_url),
            "M365BRIDGE_CONNECTOR_CA_BUNDLE": str(settings.ca_bundle),
            "M365BRIDGE_CONNECTOR_ALLOW_PRIVATE_ENDPOINTS": "true",
        }
        command = [str(Path(sys.executable).with_name("m365bridge")), "connector", "serve"]
        command += ["--data-dir", str(settings.data_dir), "--port", str(self.connector_port), "--tls"]
        self.connector_process = subprocess.Popen(command, env=env)
        eventually(self._connector_answers, 60, "the connector process to answer")

    def kill_connector_process(self) -> None:
        """SIGKILL: no shutdown, no flush; whatever request was in flight is cut."""
        process = self.connector_process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.connector_process = None

    def start_cloud_process(self, lease_seconds: int = 5) -> None:
        """The cloud as its own process (``m365bridge cloud serve``, its outbox worker on) on the same port,
        database, keys and certificate, in place of the in-thread server and worker, so that it can be
        killed outright. A short lease lets the next process take over what a killed one had claimed."""
        server = self.servers.pop("cloud", None)
        if server is not None:
            server.stop()
        if self.worker_stop is not None:
            self.worker_stop.set()
            self.worker_stop = None
        settings = self.cloud.settings
        shutil.copytree(self.tls.ca_cert.parent, settings.data_dir / "tls", dirs_exist_ok=True)
        names = ("public_url", "outbound_ca_file", "outbox_poll_seconds", "outbox_max_attempts")
        names += ("outbox_backoff_base_seconds", "outbox_backoff_max_seconds")
        env = {**os.environ, **{f"M365BRIDGE_CLOUD_{n.upper()}": str(getattr(settings, n)) for n in names}}
        env["M365BRIDGE_CLOUD_OUTBOX_WORKER"] = "true"
        env["M365BRIDGE_CLOUD_OUTBOX_LEASE_SECONDS"] = str(lease_seconds)
        command = [str(Path(sys.executable).with_name("m365bridge")), "cloud", "serve"]
        command += ["--data-dir", str(settings.data_dir), "--port", str(settings.port), "--tls"]
        self.cloud_process = subprocess.Popen(command, env=env)
        eventually(self._cloud_answers, 60, "the cloud process to answer")

    def kill_cloud_process(self) -> None:
        """SIGKILL the cloud process: its worker stops mid-delivery, its open transactions are cut."""
        process = self.cloud_process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.cloud_process = None

    def _cloud_answers(self) -> bool:
        process = self.cloud_process
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the cloud process exited with {process.returncode}")
        try:
            with httpx.Client(verify=self.verify, timeout=2) as client:
                return client.get(f"{self.cloud.settings.public_url}/").status_code < 500
        except httpx.TransportError:
            return False

    def _connector_answers(self) -> bool:
        process = self.connector_process
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the connector process exited with {process.returncode}")
        try:
            with httpx.Client(verify=self.verify, timeout=2) as client:
                return client.get(f"{self.record.connector_url}/login").status_code == 200
        except httpx.TransportError:
            return False

    def shorten_token_lifespans(self, access_seconds: int, refresh_seconds: int) -> None:
        """Store lifespans below the one-minute floor the admin pages enforce (a fault test cannot wait
        half an hour), and make the cloud drop its cached tokens so the next ones are short-lived."""
        write(
            self.connector.sessions,
            lambda s: s.execute(
                update(OAuthClient).values(
                    access_token_lifespan=access_seconds, refresh_token_lifespan=refresh_seconds
                )
            ),
        )
        write(self.cloud.sessions, self._forget_cloud_tokens)

    def _forget_cloud_tokens(self, session: Any) -> None:
        target = integration.get_repository(session, self.record.tenant["id"], REPOSITORY_ID)
        cloud_connectors_repository.update_token_state(
            session,
            target.id,
            access_token_encrypted=None,
            access_expires_at=None,
            refresh_token_encrypted=None,
            refresh_issued_at=None,
        )

    def issued_tokens(self, kind: str) -> tuple[int, int]:
        """How many ``kind`` tokens the connector's OAuth server issued, and in how many grant families."""
        with transaction(self.connector.sessions) as session:
            counts = (func.count(OAuthToken.token_digest), func.count(func.distinct(OAuthToken.family_id)))
            row = session.execute(select(*counts).where(OAuthToken.kind == kind)).one()
        return int(row[0]), int(row[1])

    def applied_count(self, case_id: str) -> int:
        with transaction(self.connector.sessions) as session:
            count = session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))
        return int(count or 0)

    def sent_count(self, case_id: str) -> int:
        with transaction(self.cloud.sessions) as session:
            count = session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.case_id == case_id))
        return int(count or 0)

    def new_incident(self, short: str = "Exchange Online mail delayed") -> str:
        with self.agent() as client:
            answer = client.post(
                "/api/now/table/incident", json={"short_description": short, "description": "Mail is queued."}
            )
        answer.raise_for_status()
        return str(answer.json()["result"]["sys_id"])

    def escalate(
        self, incident_sys_id: str, title: str = "Mail delayed", key: str | None = None
    ) -> dict[str, Any]:
        body = {
            "title": title,
            "description": "Outbound mail is queued for hours.",
            "contact": {"name": "Ada Agent", "email": "ada@contoso.com", "phone": "+1 555 0100"},
            "preferredContactMethod": "email",
        }
        headers = {"Idempotency-Key": key} if key else {}
        with self.agent() as client:
            answer = client.post(f"{API}/incidents/{incident_sys_id}/cases", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        return dict(answer.json()["result"])

    def engineer_reply(self, case_id: str, body: str) -> None:
        write(
            self.cloud.sessions,
            lambda s: cloud_cases.engineer_reply(
                s, cloud_cases.get_case(s, case_id), author="Microsoft Support Engineer", body=body
            ),
        )

    def engineer_status(self, case_id: str, status: str) -> None:
        write(
            self.cloud.sessions,
            lambda s: cloud_cases.change_status(s, cloud_cases.get_case(s, case_id), status),
        )

    def engineer_sees(self, case_id: str) -> list[str]:
        with transaction(self.cloud.sessions) as session:
            case = cloud_cases.get_case(session, case_id)
            return [m.body for m in cloud_cases.messages(session, case)]

    def work_notes(self, incident_sys_id: str) -> list[str]:
        with transaction(self.connector.sessions) as session:
            return [e.value for e in incidents.list_journal(session, incident_sys_id, ("work_notes",))]

    def all_delivered(self, case_id: str) -> bool:
        with transaction(self.cloud.sessions) as session:
            states = session.scalars(select(OutboxEvent.state).where(OutboxEvent.case_id == case_id)).all()
        return bool(states) and all(s == DELIVERED for s in states)

    def delivered_count(self) -> int:
        """Outbox rows of every case marked delivered."""
        with transaction(self.cloud.sessions) as session:
            return len(session.scalars(select(OutboxEvent.id).where(OutboxEvent.state == DELIVERED)).all())

    def assert_exactly_once_in_order(self, case_id: str) -> None:
        """Every event the cloud recorded for the case was applied once, in sequence order."""
        eventually(lambda: self.all_delivered(case_id), 60, "every event delivered")
        with transaction(self.cloud.sessions) as session:
            sent = session.execute(
                select(OutboxEvent.id, OutboxEvent.sequence).where(OutboxEvent.case_id == case_id)
            ).all()
        with transaction(self.connector.sessions) as session:
            applied = session.execute(
                select(CaseEvent.id, CaseEvent.sequence).where(CaseEvent.case_id == case_id)
            ).all()
            last = session.scalar(select(SupportCase.last_sequence).where(SupportCase.case_id == case_id))
        assert sorted(applied, key=lambda r: r[1]) == sorted(sent, key=lambda r: r[1])
        assert [s for _, s in sorted(applied, key=lambda r: r[1])] == list(range(1, len(sent) + 1))
        assert last == len(sent)

    def close(self) -> None:
        if self.connector_process is not None:
            self.kill_connector_process()
        if self.cloud_process is not None:
            self.kill_cloud_process()
        if self.worker_stop is not None:
            self.worker_stop.set()
        for server in self.servers.values():
            server.stop()
        self.cloud.close()
        self.connector.close()


def start_loop(
    mode: str,
    data_dir: Path,
    tls: ServerCertificate,
    *,
    ports: LoopPorts | None = None,
    connector_overrides: dict[str, Any] | None = None,
    **cloud_overrides: Any,
) -> Loop:
    """Serve both sides and provision them; ``ports`` puts each side's public address elsewhere (a
    fault proxy in front of it), so the other side's calls to it go through that address."""
    ports = ports or LoopPorts()
    cloud_port, connector_port = ports.cloud, ports.connector
    cloud_settings = CloudSettings(
        data_dir=data_dir / "cloud",
        port=cloud_port,
        tls=True,
        public_url=f"https://localhost:{cloud_port}",
        outbound_ca_file=tls.ca_cert,
        outbox_worker=False,  # started after provisioning: its polling writes would race the demo's
        outbox_poll_seconds=0.05,
        outbox_backoff_base_seconds=0.1,
        outbox_backoff_max_seconds=0.5,
        outbox_max_attempts=1000,
        allow_private_endpoints=True,  # both sides on loopback
        **cloud_overrides,
    )
    connector_settings = ConnectorSettings(
        data_dir=data_dir / "connector",
        port=connector_port,
        tls=True,
        public_url=f"https://localhost:{ports.connector_public or connector_port}",
        ca_bundle=tls.ca_cert,
        allow_private_endpoints=True,
        **(connector_overrides or {}),
    )
    cloud = CloudContext.build(cloud_settings)
    connector = ConnectorContext.build(connector_settings)
    cloud_server = start_in_thread(create_cloud_app(context=cloud), port=cloud_port, tls=tls)
    record = _record(mode, cloud_server.url, connector_port, tls)
    for name, port in ports.cloud_routes.items():
        setattr(record, name, getattr(record, name).replace(cloud_server.url, f"https://localhost:{port}"))
    loop = Loop(cloud, connector, record, tls)
    loop.servers["cloud"] = cloud_server
    loop.connector_port = connector_port
    loop.start_connector()
    provision(loop.record, cloud, connector)
    loop.worker_stop = start_background(cloud)[1]
    return loop


def _record(mode: str, cloud_url: str, connector_port: int, tls: ServerCertificate) -> DemoRecord:
    return DemoRecord(
        mode=mode,
        identity_url=cloud_url,
        graph_url=f"{cloud_url}/graph",
        support_url=f"{cloud_url}/support",
        connector_url=f"https://localhost:{connector_port}",
        ca_bundle=str(tls.ca_cert),
    )
