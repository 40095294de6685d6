"""``/api/x_mioms_m365_assis/v1/oidc/...``: OIDC providers and entities over REST, for admins only."""

from __future__ import annotations

import pytest

from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR
from tests.connector.auth.helpers import API, basic, make_user

METADATA = "https://login.idp.test/tenant/.well-known/openid-configuration"


@pytest.fixture
def admin_headers(connector_context):
    make_user(connector_context, "root", [ADMIN])
    return basic("root")


def test_admin_creates_updates_lists_and_deletes_a_provider_and_entity(connector_client, admin_headers):
    provider = connector_client.post(
        f"{API}/oidc/providers",
        json={"name": "Contoso Azure", "metadata_url": METADATA},
        headers=admin_headers,
    )
    assert provider.status_code == 201, provider.text
    provider_id = provider.json()["result"]["id"]
    entity = connector_client.post(
        f"{API}/oidc/entities",
        json={"client_id": "api://rest", "provider_id": provider_id},
        headers=admin_headers,
    )
    assert entity.status_code == 201 and entity.json()["result"]["name"] == "api://rest"

    updated = connector_client.put(
        f"{API}/oidc/providers/{provider_id}",
        json={"name": "Contoso", "metadata_url": METADATA, "user_claim": "azp", "clock_skew": 60},
        headers=admin_headers,
    )
    assert updated.json()["result"]["user_claim"] == "azp"
    listed = connector_client.get(f"{API}/oidc/entities", headers=admin_headers).json()["result"]
    assert [(e["client_id"], e["provider_id"]) for e in listed] == [("api://rest", provider_id)]

    deleted = connector_client.delete(f"{API}/oidc/providers/{provider_id}", headers=admin_headers)
    assert deleted.status_code == 204
    assert connector_client.get(f"{API}/oidc/entities", headers=admin_headers).json()["result"] == []


def test_bad_input_is_a_servicenow_error_and_stores_nothing(connector_client, admin_headers):
    response = connector_client.post(
        f"{API}/oidc/providers",
        json={"name": "Plain", "metadata_url": "http://idp.test/x"},
        headers=admin_headers,
    )

    assert response.status_code == 400
    assert response.json()["status"] == "failure" and "https" in response.json()["error"]["detail"]
    assert connector_client.get(f"{API}/oidc/providers", headers=admin_headers).json()["result"] == []


def test_an_unknown_entity_is_404(connector_client, admin_headers):
    response = connector_client.get(f"{API}/oidc/entities/nope", headers=admin_headers)

    assert response.status_code == 404 and response.json()["status"] == "failure"


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("appadmin", 403)])
def test_only_admins_may_call(connector_context, connector_client, who, status):
    make_user(connector_context, "appadmin", [APP_ADMINISTRATOR])

    response = connector_client.get(f"{API}/oidc/providers", headers=basic(who) if who else {})

    assert response.status_code == status
