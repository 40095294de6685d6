"""The token client against the real cloud identity service over https: a real v1 token for Graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import service as identity
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.registry import service as registry
from m365bridge.connector.registry.token_client import TokenClient, TokenPermanentError
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate

GRAPH = "https://graph.microsoft.com"


@pytest.fixture
def trusting_connector(tmp_path: Path, tls: ServerCertificate) -> Iterator[ConnectorContext]:
    context = ConnectorContext.build(
        ConnectorSettings(
            allow_private_endpoints=True, data_dir=tmp_path / "connector", ca_bundle=tls.ca_cert
        )
    )
    yield context
    context.close()


def test_client_credentials_token_from_the_cloud_identity_service(
    cloud_context: CloudContext, trusting_connector: ConnectorContext, tls: ServerCertificate
) -> None:
    with transaction(cloud_context.sessions) as session:
        tenant = identity.create_tenant(session, "contoso.onmicrosoft.com")
        app = identity.create_app_registration(session, tenant.id, "Outbound app")
        secret = identity.add_client_secret(session, app)
        identity.grant_app_roles(session, app, GRAPH, ["ServiceHealth.Read.All", "ServiceMessage.Read.All"])
        tenant_id, app_id = tenant.id, app.client_id
    with serving(create_cloud_app(context=cloud_context), tls=tls) as cloud:
        with transaction(trusting_connector.sessions) as session:
            right = registry.create_entity(
                session,
                trusting_connector.secrets,
                name="Azure",
                client_id=app_id,
                client_secret=secret,
                token_url=f"{cloud.url}/{tenant_id}/oauth2/token",
            ).id
            wrong = registry.create_entity(
                session,
                trusting_connector.secrets,
                name="Wrong secret",
                client_id=app_id,
                client_secret="not-" + secret,
                token_url=f"{cloud.url}/{tenant_id}/oauth2/token",
            ).id
        client = TokenClient(trusting_connector)
        token = client.get_token(right, GRAPH)
        with pytest.raises(TokenPermanentError, match="Wrong secret"):
            client.get_token(wrong, GRAPH)

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == GRAPH and claims["appid"] == app_id and claims["ver"] == "1.0"
    assert set(claims["roles"]) == {"ServiceHealth.Read.All", "ServiceMessage.Read.All"}
