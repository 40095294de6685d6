"""Both sides running over https on loopback, the demo tenant's apps registered, nothing set up yet."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup.modes import Mode
from m365bridge.demo import connector_setup
from m365bridge.demo.identity import provision_identity
from m365bridge.demo.provision import DemoRecord
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import free_port, serving
from m365bridge.shared.tls import ServerCertificate


@dataclass
class World:
    cloud: CloudContext
    connector: ConnectorContext
    record: DemoRecord
    connector_env: dict[str, str]

    def register(self, mode: Mode) -> dict[str, str]:
        """The connector's platform registrations the mode needs (OAuth client, user, OIDC entity)."""
        with transaction(self.connector.sessions) as session:
            return connector_setup.connector_registrations(session, mode, self.record)

    def configure_cloud(self, mode: Mode, inbound: dict[str, str]) -> None:
        connector_setup.cloud_settings(self.cloud, self.connector, mode, self.record, inbound)

    def setup_file(self, mode: Mode, inbound: dict[str, str]) -> dict[str, Any]:
        config = connector_setup.setup_file(mode, self.record, inbound)
        outbound = self.record.apps["outbound"]
        # A fresh connector: step 1 creates the OAuth provider from the outbound app's values.
        config["outbound"] = {
            "name": "Azure",
            "client_id": outbound["client_id"],
            "client_secret": outbound["client_secret"],
            "token_url": f"{self.record.identity_url}/{self.record.tenant['id']}/oauth2/token",
            "graph_url": self.record.graph_url,
            "support_url": self.record.support_url,
        }
        return config


@contextmanager
def running_world(tmp_path: Path, tls: ServerCertificate) -> Iterator[World]:
    cloud_port, connector_port = free_port(), free_port()
    cloud_url, connector_url = f"https://localhost:{cloud_port}", f"https://localhost:{connector_port}"
    cloud = CloudContext.build(
        CloudSettings(
            data_dir=tmp_path / "cloud",
            public_url=cloud_url,
            outbound_ca_file=tls.ca_cert,
            allow_private_endpoints=True,  # both sides on loopback
        )
    )
    connector_settings = ConnectorSettings(
        data_dir=tmp_path / "connector",
        public_url=connector_url,
        ca_bundle=tls.ca_cert,
        allow_private_endpoints=True,
    )
    connector = ConnectorContext.build(connector_settings)
    with ExitStack() as stack:
        stack.enter_context(serving(create_cloud_app(context=cloud), port=cloud_port, tls=tls))
        stack.enter_context(serving(create_connector_app(context=connector), port=connector_port, tls=tls))
        record = DemoRecord(
            mode="basic",
            identity_url=cloud_url,
            graph_url=f"{cloud_url}/graph",
            support_url=f"{cloud_url}/support",
            connector_url=connector_url,
            ca_bundle=str(tls.ca_cert),
        )
        provision_identity(record, cloud)
        env = {
            "M365BRIDGE_CONNECTOR_PUBLIC_URL": connector_url,
            "M365BRIDGE_CONNECTOR_CA_BUNDLE": str(tls.ca_cert),
            "M365BRIDGE_CONNECTOR_ALLOW_PRIVATE_ENDPOINTS": "true",
        }
        yield World(cloud, connector, record, env)
    connector.close()
    cloud.close()
