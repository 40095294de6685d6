import pytest

from m365bridge.cloud.identity.resources import GRAPH_RESOURCE
from m365bridge.cloud.settings import CloudSettings

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def cloud_settings(tmp_path):
    return CloudSettings(data_dir=tmp_path / "cloud", admin_api_token=ADMIN_TOKEN)


def test_admin_api_is_forbidden_when_no_admin_token_is_configured(cloud_client, cloud_context):
    cloud_context.settings.admin_api_token = None
    assert cloud_client.get("/admin/identity/tenants", headers=AUTH).status_code == 403


def test_admin_api_requires_the_bearer_token(cloud_client):
    assert cloud_client.get("/admin/identity/tenants").status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert cloud_client.get("/admin/identity/tenants", headers=wrong).status_code == 403


def test_admin_api_sets_up_an_app_that_then_gets_a_graph_token(cloud_client):
    tenant = cloud_client.post(
        "/admin/identity/tenants", json={"domain": "contoso.onmicrosoft.com"}, headers=AUTH
    ).json()
    app = cloud_client.post(
        f"/admin/identity/tenants/{tenant['domain']}/apps", json={"display_name": "Outbound"}, headers=AUTH
    ).json()
    grants = cloud_client.post(
        f"/admin/identity/apps/{app['client_id']}/grants",
        json={"resource": GRAPH_RESOURCE, "roles": ["ServiceHealth.Read.All"]},
        headers=AUTH,
    ).json()
    assert [grant["role"] for grant in grants] == ["ServiceHealth.Read.All"]
    secrets_url = f"/admin/identity/apps/{app['client_id']}/secrets"
    secret = cloud_client.post(secrets_url, json={}, headers=AUTH).json()
    assert secret["secret_text"].startswith(secret["hint"])
    response = cloud_client.post(
        f"/{tenant['id']}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": secret["secret_text"],
            "resource": GRAPH_RESOURCE,
        },
    )
    assert response.status_code == 200


def test_invalid_domain_is_refused_and_nothing_is_stored(cloud_client):
    response = cloud_client.post("/admin/identity/tenants", json={"domain": "contoso.com"}, headers=AUTH)
    assert response.status_code == 400
    assert "onmicrosoft.com" in response.json()["error"]["message"]
    assert cloud_client.get("/admin/identity/tenants", headers=AUTH).json() == []


def test_granting_a_role_the_resource_does_not_define_is_refused(cloud_client, cloud_context):
    tenant = cloud_client.post(
        "/admin/identity/tenants", json={"domain": "contoso.onmicrosoft.com"}, headers=AUTH
    ).json()
    app = cloud_client.post(
        f"/admin/identity/tenants/{tenant['id']}/apps", json={"display_name": "Outbound"}, headers=AUTH
    ).json()
    response = cloud_client.post(
        f"/admin/identity/apps/{app['client_id']}/grants",
        json={"resource": GRAPH_RESOURCE, "roles": ["Mail.Send"]},
        headers=AUTH,
    )
    assert response.status_code == 400
    assert "ServiceHealth.Read.All" in response.json()["error"]["message"]
    assert cloud_client.get(f"/admin/identity/apps/{app['client_id']}/grants", headers=AUTH).json() == []
