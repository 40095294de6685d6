import base64

import pytest

from m365bridge.cloud.identity.resources import GRAPH_APP_ID, GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.cloud.identity.verification import TokenRejected, verify_access_token
from tests.cloud.identity.conftest import make_directory


def v1_token(client, tenant, app, resource, **extra):
    form = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.secret,
        "resource": resource,
    }
    return client.post(f"/{tenant}/oauth2/token", data=form | extra)


def v2_token(client, tenant, app, scope, **extra):
    form = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.secret,
        "scope": scope,
    }
    return client.post(f"/{tenant}/oauth2/v2.0/token", data=form | extra)


def test_v1_endpoint_answers_with_string_lifetimes_and_the_resource(cloud_client, directory):
    response = v1_token(cloud_client, directory.domain, directory.client, GRAPH_RESOURCE)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["resource"] == GRAPH_RESOURCE
    for field in ("expires_in", "ext_expires_in", "expires_on", "not_before"):
        assert isinstance(body[field], str) and body[field].isdigit()
    assert 3600 <= int(body["expires_in"]) <= 5400
    assert response.headers["cache-control"].startswith("no-store")


def test_v1_graph_token_carries_v1_claims_and_granted_roles(cloud_client, cloud_context, directory):
    body = v1_token(cloud_client, directory.tenant_id, directory.client, GRAPH_RESOURCE).json()
    token = verify_access_token(cloud_context, body["access_token"], audiences=[GRAPH_RESOURCE])
    assert token.version == "1.0"
    assert token.tenant_id == directory.tenant_id
    assert token.app_id == directory.client.client_id
    assert token.roles == {"ServiceHealth.Read.All", "ServiceMessage.Read.All"}
    assert token.claims["iss"] == f"https://sts.windows.net/{directory.tenant_id}/"
    assert token.claims["appidacr"] == "1"
    assert token.claims["idp"] == token.claims["iss"]
    assert token.claims["oid"] == token.claims["sub"]


def test_v2_endpoint_issues_a_v1_token_for_a_v1_resource(cloud_client, cloud_context, directory):
    response = v2_token(cloud_client, directory.domain, directory.client, f"{SUPPORT_RESOURCE}/.default")
    body = response.json()
    assert isinstance(body["expires_in"], int) and isinstance(body["ext_expires_in"], int)
    assert "resource" not in body
    token = verify_access_token(cloud_context, body["access_token"], audiences=[SUPPORT_RESOURCE])
    assert token.version == "1.0"
    assert token.roles == {"Support.ReadWrite.All"}


def test_v2_resource_gets_a_v2_token_with_its_client_id_as_audience(cloud_client, cloud_context, directory):
    body = v1_token(cloud_client, directory.domain, directory.client, "api://modern-api").json()
    api = directory.v2_api.client_id
    token = verify_access_token(cloud_context, body["access_token"], audiences=[api])
    assert token.version == "2.0"
    assert token.audience == api
    assert token.claims["azp"] == directory.client.client_id
    assert token.claims["azpacr"] == "1"
    assert token.claims["iss"] == f"{cloud_context.settings.base_url}/{directory.tenant_id}/v2.0"
    assert token.roles == {"X.Y"}


def test_another_tenant_app_obtains_a_token_for_the_rest_api(cloud_client, cloud_context, directory):
    api = directory.v1_api
    body = v2_token(cloud_client, directory.domain, directory.v2_api, f"{api.app_id_uri}/.default").json()
    token = verify_access_token(cloud_context, body["access_token"], audiences=[api.app_id_uri])
    assert token.app_id == directory.v2_api.client_id
    assert "roles" not in token.claims


def test_v1_audience_is_the_client_id_when_named_by_it(cloud_client, cloud_context, directory):
    body = v1_token(cloud_client, directory.domain, directory.client, GRAPH_APP_ID).json()
    token = verify_access_token(cloud_context, body["access_token"], audiences=[GRAPH_APP_ID])
    assert token.audience == GRAPH_APP_ID


def test_client_secret_basic_authenticates(cloud_client, directory):
    app = directory.client
    basic = base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()
    response = cloud_client.post(
        f"/{directory.domain}/oauth2/token",
        data={"grant_type": "client_credentials", "resource": GRAPH_RESOURCE},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


def test_token_for_another_audience_is_rejected(cloud_client, cloud_context, directory):
    body = v1_token(cloud_client, directory.domain, directory.client, SUPPORT_RESOURCE).json()
    with pytest.raises(TokenRejected):
        verify_access_token(cloud_context, body["access_token"], audiences=[GRAPH_RESOURCE])


def test_tampered_token_is_rejected(cloud_client, cloud_context, directory):
    token = v1_token(cloud_client, directory.domain, directory.client, GRAPH_RESOURCE).json()["access_token"]
    header, payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(payload + "==").replace(b"ServiceHealth", b"ServiceHealtH")
    )
    with pytest.raises(TokenRejected):
        verify_access_token(
            cloud_context, f"{header}.{forged.decode().rstrip('=')}.{signature}", audiences=[GRAPH_RESOURCE]
        )


def test_tokens_of_tenant_a_carry_tid_a(cloud_client, cloud_context, directory):
    other = make_directory(cloud_context, "fabrikam.onmicrosoft.com")
    for tenant in (directory, other):
        body = v1_token(cloud_client, tenant.domain, tenant.client, GRAPH_RESOURCE).json()
        token = verify_access_token(cloud_context, body["access_token"], audiences=[GRAPH_RESOURCE])
        assert token.tenant_id == tenant.tenant_id


def test_client_of_tenant_a_is_unknown_in_tenant_b(cloud_client, cloud_context, directory):
    other = make_directory(cloud_context, "fabrikam.onmicrosoft.com")
    response = v1_token(cloud_client, other.domain, directory.client, GRAPH_RESOURCE)
    assert response.json()["error_codes"] == [700016]
