"""One gate for a connector's token: the integration routes and the knowledge search give the same verdict."""

from __future__ import annotations

import pytest

from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.resources import SUPPORT_APP_ID, SUPPORT_RESOURCE
from m365bridge.cloud.integration.service import save_basic_information
from m365bridge.shared.db import transaction
from tests.cloud.identity.conftest import make_directory

DOORS = [
    ("GET", "/support/v1/integration", None),
    ("POST", "/support/v1/solutions/search", {"text": "mailbox full"}),
]


def token(client, tenant: str, client_id: str, secret: str, resource: str = SUPPORT_RESOURCE) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "resource": resource,
    }
    response = client.post(f"/{tenant}/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def call(client, door, bearer: str) -> int:
    method, path, body = door
    return client.request(method, path, json=body, headers={"Authorization": f"Bearer {bearer}"}).status_code


@pytest.mark.parametrize("door", DOORS, ids=["integration", "knowledge"])
def test_a_token_for_the_support_app_id_is_accepted_like_one_for_its_app_id_uri(
    cloud_client, cloud_context, door
):
    directory = make_directory(cloud_context, "contoso.onmicrosoft.com")
    with transaction(cloud_context.sessions) as session:
        save_basic_information(session, directory.tenant_id, app_id=directory.client.client_id)
    client = directory.client
    for resource in (SUPPORT_RESOURCE, SUPPORT_APP_ID):
        bearer = token(cloud_client, directory.domain, client.client_id, client.secret, resource)
        assert call(cloud_client, door, bearer) == 200


@pytest.mark.parametrize("door", DOORS, ids=["integration", "knowledge"])
def test_the_configured_app_id_matches_regardless_of_case(cloud_client, cloud_context, door):
    directory = make_directory(cloud_context, "contoso.onmicrosoft.com")
    with transaction(cloud_context.sessions) as session:
        save_basic_information(session, directory.tenant_id, app_id=directory.client.client_id.upper())
    bearer = token(cloud_client, directory.domain, directory.client.client_id, directory.client.secret)
    assert call(cloud_client, door, bearer) == 200


@pytest.mark.parametrize("door", DOORS, ids=["integration", "knowledge"])
def test_the_configured_app_without_the_support_role_is_refused(cloud_client, cloud_context, door):
    directory = make_directory(cloud_context, "contoso.onmicrosoft.com")
    with transaction(cloud_context.sessions) as session:
        app = identity.create_app_registration(session, directory.tenant_id, "No role")
        secret = identity.add_client_secret(session, app)
        client_id = app.client_id
        save_basic_information(session, directory.tenant_id, app_id=client_id)
    assert call(cloud_client, door, token(cloud_client, directory.domain, client_id, secret)) == 403
