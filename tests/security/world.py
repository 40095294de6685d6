"""A real cloud identity service over https, and a connector that trusts it through an OIDC provider.

The cloud app is wrapped in a request recorder, so a test can prove the connector fetched nothing it was
not told to fetch (a ``jku``/``x5u`` header must never be followed).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import keys
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.auth import oidc_config
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import service as users
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import free_port, serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.auth.helpers import make_user


class RecordingApp:
    """An ASGI wrapper that remembers the path of every HTTP request it sees."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@dataclass
class App:
    client_id: str
    secret: str


@dataclass
class World:
    cloud: CloudContext
    cloud_url: str
    recorder: RecordingApp
    connector: ConnectorContext
    client: TestClient
    tls: ServerCertificate
    tenant_id: str
    other_tenant_id: str
    rest_api_uri: str
    modern_api_id: str
    rest_user: App
    unmapped_app: App
    inactive_app: App
    other_tenant_app: App
    apps: dict[str, App] = field(default_factory=dict)

    def token(self, app: App, *, resource: str | None = None, tenant_id: str | None = None) -> str:
        """A real client-credentials token from the cloud (v1 endpoint) for ``resource``."""
        with httpx.Client(verify=ssl.create_default_context(cafile=self.tls.ca_cert)) as http:
            answer = http.post(
                f"{self.cloud_url}/{tenant_id or self.tenant_id}/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": app.client_id,
                    "client_secret": app.secret,
                    "resource": resource or self.rest_api_uri,
                },
            )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def signing_key(self) -> tuple[str, Any]:
        """The cloud's active private key and its kid: what a thief of the key would hold."""
        with transaction(self.cloud.sessions) as session:
            key = keys.ensure_active_key(session, self.cloud.secrets)
            return key.kid, keys.private_key(key, self.cloud.secrets)

    def rotate_keys(self) -> None:
        with transaction(self.cloud.sessions) as session:
            keys.rotate(session, self.cloud.secrets)


def _register(cloud: CloudContext) -> dict[str, Any]:
    with transaction(cloud.sessions) as session:
        tenant = identity.create_tenant(session, "contoso.onmicrosoft.com")
        other = identity.create_tenant(session, "fabrikam.onmicrosoft.com")
        rest_api = identity.create_app_registration(
            session, tenant.id, "REST API", app_id_uri="api://{client_id}"
        )
        modern = identity.create_app_registration(
            session, tenant.id, "Modern API", app_id_uri="api://modern", accepted_version=2
        )
        # Another tenant may name its own API with the same URI; its tokens still carry its own tenant.
        identity.create_app_registration(session, other.id, "Lookalike API", app_id_uri=rest_api.app_id_uri)
        made = {}
        for name, tenant_id in [
            ("rest_user", tenant.id),
            ("unmapped_app", tenant.id),
            ("inactive_app", tenant.id),
            ("other_tenant_app", other.id),
        ]:
            app = identity.create_app_registration(session, tenant_id, name)
            identity.grant_app_roles(session, app, GRAPH_RESOURCE, ["ServiceHealth.Read.All"])
            made[name] = App(app.client_id, identity.add_client_secret(session, app))
        return {
            "tenant_id": tenant.id,
            "other_tenant_id": other.id,
            "rest_api_uri": rest_api.app_id_uri,
            "modern_api_id": modern.client_id,
            **made,
        }


@contextmanager
def identity_world(
    tmp: Path, tls: ServerCertificate, *, key_grace_hours: float = 24.0, **connector_settings: Any
) -> Iterator[World]:
    """Cloud over https with two tenants; connector trusting tenant one's v1 metadata (no extra issuer)."""
    port = free_port()
    cloud = CloudContext.build(
        CloudSettings(
            data_dir=tmp / "cloud",
            port=port,
            tls=True,
            identity_key_grace_hours=key_grace_hours,
            allow_private_endpoints=True,  # both sides on loopback
        )
    )
    registered = _register(cloud)
    connector = ConnectorContext.build(
        ConnectorSettings(
            data_dir=tmp / "connector",
            ca_bundle=tls.ca_cert,
            allow_private_endpoints=True,
            **connector_settings,
        )
    )
    recorder = RecordingApp(create_cloud_app(context=cloud))
    with ExitStack() as stack:
        served = stack.enter_context(serving(recorder, port=port, tls=tls))
        with transaction(connector.sessions) as session:
            provider = oidc_config.create_provider(
                session,
                "Contoso Azure",
                f"{served.url}/{registered['tenant_id']}/.well-known/openid-configuration",
            )
            oidc_config.create_entity(session, "REST API", registered["rest_api_uri"], provider.id)
            oidc_config.create_entity(session, "Modern API", registered["modern_api_id"], provider.id)
        for name in ("rest_user", "inactive_app", "other_tenant_app"):
            make_user(
                connector, registered[name].client_id, ["incident_manager"], web_service_access_only=True
            )
        with transaction(connector.sessions) as session:
            inactive = users.get_user(session, registered["inactive_app"].client_id)
            users.update_user(session, inactive, users.UserChanges(active=False))
        client = stack.enter_context(TestClient(create_connector_app(context=connector)))
        yield World(
            cloud=cloud,
            cloud_url=served.url,
            recorder=recorder,
            connector=connector,
            client=client,
            tls=tls,
            **registered,
        )
    cloud.close()
