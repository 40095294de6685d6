"""Start both sides, provision them, write ``demo.json``, say ``ready``, and wait for Ctrl-C."""

from __future__ import annotations

import json
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.demo.provision import provision
from m365bridge.demo.record import DemoRecord
from m365bridge.demo.servicenow import (
    ITSM_CHOICES,
    connect_connector,
    instance_settings,
    provision_instance,
    start_instance,
)
from m365bridge.shared.private_files import private_dir, write_private
from m365bridge.shared.serving import RunningServer, free_port, settle_heap, start_in_thread
from m365bridge.shared.tls import ensure_server_certificate

console = Console()
CONNECTOR_USERS = frozenset({"admin", "agent", "escalation", "integration"})


def run_demo(
    *,
    mode: str,
    data_dir: Path,
    cloud_port: int,
    connector_port: int,
    fresh: bool = False,
    itsm: str | None = None,
    instance_port: int = 0,
) -> None:
    started = time.monotonic()
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    servers = start_demo(
        mode=mode,
        data_dir=data_dir,
        cloud_port=cloud_port,
        connector_port=connector_port,
        itsm=itsm,
        instance_port=instance_port,
    )
    elapsed = time.monotonic() - started
    settle_heap()
    record = json.loads((data_dir / "demo.json").read_text())
    _print_summary(record, elapsed)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    console.print("stopping …")
    for server in servers:
        server.stop()
    console.print("stopped")


def start_demo(
    *,
    mode: str,
    data_dir: Path,
    cloud_port: int,
    connector_port: int,
    itsm: str | None = None,
    instance_port: int = 0,
) -> list[RunningServer]:
    """Both sides; with ``itsm="servicenow"`` also a stand-in ServiceNow instance the connector uses."""
    if itsm is not None and itsm not in ITSM_CHOICES:
        raise ValueError(f"--itsm {itsm!r} is not one of: {', '.join(ITSM_CHOICES)}")
    data_dir = private_dir(data_dir.resolve())  # demo.json and both sides' secrets live under it
    tls = ensure_server_certificate(data_dir / "tls")
    cloud_settings = CloudSettings(
        data_dir=data_dir / "cloud",
        port=cloud_port,
        tls=True,
        public_url=f"https://localhost:{cloud_port}",
        outbound_ca_file=tls.ca_cert,  # the cloud calls the connector's https Endpoint with case events
        outbox_worker=True,
        allow_private_endpoints=True,  # everything runs on this machine: repository Endpoint on localhost
    )
    connector_settings = ConnectorSettings(
        data_dir=data_dir / "connector",
        port=connector_port,
        tls=True,
        public_url=f"https://localhost:{connector_port}",
        ca_bundle=tls.ca_cert,  # the connector calls the cloud's https identity, Graph and support service
        allow_private_endpoints=True,  # … at localhost
    )
    # Commands given only --data-dir (connector doctor, db backup …) then run with the demo's settings.
    write_settings_file(cloud_settings, ("public_url", "outbound_ca_file", "allow_private_endpoints"))
    write_settings_file(connector_settings, ("public_url", "ca_bundle", "allow_private_endpoints"))
    cloud_context = CloudContext.build(cloud_settings)
    connector_context = ConnectorContext.build(connector_settings)
    cloud = start_in_thread(create_cloud_app(context=cloud_context), port=cloud_port, tls=tls)
    connector = start_in_thread(create_connector_app(context=connector_context), port=connector_port, tls=tls)
    record = DemoRecord(
        mode=mode,
        identity_url=cloud.url,
        graph_url=f"{cloud.url}/graph",
        support_url=f"{cloud.url}/support",
        connector_url=connector.url,
        ca_bundle=str(tls.ca_cert),
    )
    servers = [cloud, connector]
    if itsm is None:
        provision(record, cloud_context, connector_context)
    else:
        instance_config = instance_settings(data_dir, instance_port or free_port())
        write_settings_file(instance_config, ("public_url", "allow_private_endpoints"))
        instance, instance_context = start_instance(instance_config, tls)
        servers.append(instance)
        # The instance needs nothing from the two sides: it is filled while they are.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-instance") as pool:
            made = pool.submit(provision_instance, record, instance_context, instance.url)
            provision(record, cloud_context, connector_context)
            connect_connector(connector_context, instance.url, made.result())
    write_private(data_dir / "demo.json", json.dumps(record.as_json(), indent=2).encode())
    return servers


def write_settings_file(settings: CloudSettings | ConnectorSettings, names: tuple[str, ...]) -> None:
    """The named settings in the side's ``settings.env`` (``shared/settings.py``), which its commands read."""
    prefix = settings.model_config.get("env_prefix", "")
    lines = [f"{prefix}{name.upper()}={getattr(settings, name)}" for name in names]
    private_dir(settings.data_dir)
    header = "# Written by `m365bridge demo`: this side's settings for commands given --data-dir.\n"
    write_private(settings.settings_file, (header + "\n".join(lines) + "\n").encode())


def _print_summary(record: dict[str, Any], elapsed: float) -> None:
    """The URLs and the demo credentials, as one table per kind."""
    cloud = record["identity_url"]
    places = Table(title=f"m365bridge demo (mode {record['mode']})", title_justify="left")
    places.add_column("What")
    places.add_column("URL", overflow="fold")
    places.add_row("Connector UI (ServiceNow side)", record["connector_url"])
    places.add_row("Cloud admin center (tenant admin)", f"{cloud}/portal")
    places.add_row("Support-engineer console", f"{cloud}/console")
    places.add_row(
        "Identity / Graph / support service", f"{cloud}  {record['graph_url']}  {record['support_url']}"
    )
    places.add_row("CA bundle (trust it in your browser)", record["ca_bundle"])
    instance = record.get("servicenow")
    if instance:
        places.add_row("ServiceNow instance (stand-in, the connector's desk)", instance["instance_url"])
    console.print(places)
    people = Table(title="Demo users", title_justify="left")
    for column in ("Who", "Signs in at", "User name", "Password", "Roles"):
        people.add_column(column, overflow="fold")  # never cut a password short
    for name, user in record["users"].items():
        where = "connector" if name in CONNECTOR_USERS else "cloud"
        people.add_row(name, where, user["user_name"], user["password"], ", ".join(user["roles"]))
    for name, user in (instance or {}).get("users", {}).items():
        people.add_row(name, "ServiceNow instance", user["user_name"], user["password"], "")
    console.print(people)
    if record.get("incidents"):
        console.print(f"Sample incidents: {', '.join(record['incidents'])}", highlight=False)
    console.print(f"[green]ready[/] in {elapsed:.1f}s (Ctrl-C stops)", highlight=False)
