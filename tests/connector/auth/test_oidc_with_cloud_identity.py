"""The connector accepts a token minted by the project's own cloud identity service (no mocks)."""

import httpx

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.auth import oidc_config
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import free_port, serving
from tests.connector.auth.helpers import API, make_user


def test_a_client_credentials_token_from_the_cloud_identity_is_accepted(tls, tmp_path):
    port = free_port()
    cloud_context = CloudContext.build(CloudSettings(data_dir=tmp_path / "cloud", port=port, tls=True))
    with transaction(cloud_context.sessions) as session:
        tenant = identity.create_tenant(session, "contoso.onmicrosoft.com")
        rest_api = identity.create_app_registration(
            session, tenant.id, "REST API", app_id_uri="api://{client_id}"
        )
        rest_user = identity.create_app_registration(session, tenant.id, "REST user")
        secret = identity.add_client_secret(session, rest_user)
        tenant_id, audience, user_app = tenant.id, rest_api.app_id_uri, rest_user.client_id

    connector = ConnectorContext.build(
        ConnectorSettings(allow_private_endpoints=True, data_dir=tmp_path / "c", ca_bundle=tls.ca_cert)
    )
    make_user(connector, user_app, ["incident_manager"], web_service_access_only=True)
    with serving(create_cloud_app(context=cloud_context), port=port, tls=tls) as cloud:
        with transaction(connector.sessions) as session:
            provider = oidc_config.create_provider(
                session, "Contoso Azure", f"{cloud.url}/{tenant_id}/.well-known/openid-configuration"
            )
            oidc_config.create_entity(session, "REST API", audience, provider.id)
        with httpx.Client(verify=str(tls.ca_cert)) as http:
            token = http.post(
                f"{cloud.url}/{tenant_id}/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": user_app,
                    "client_secret": secret,
                    "resource": audience,
                },
            ).json()["access_token"]
        with serving(create_connector_app(context=connector)) as server, httpx.Client() as http:
            response = http.get(f"{server.url}{API}/whoami", headers={"Authorization": f"Bearer {token}"})

    with transaction(connector.sessions) as session:
        from m365bridge.connector.logs import system_log

        reasons = [line.message for line in system_log.search(session)]
    assert response.status_code == 200, reasons
    assert response.json()["result"]["user_name"] == user_app
    assert response.json()["result"]["method"] == "oidc"
    connector.close()
    cloud_context.close()
