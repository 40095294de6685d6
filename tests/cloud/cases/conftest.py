"""A tenant made by the identity service, its admin and integration, and real tokens for it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from m365bridge.cloud.connectors.client import HTTP_EXTRA
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.resources import SUPPORT_RESOURCE
from m365bridge.cloud.integration import service as integration
from m365bridge.shared.db import transaction
from tests.cloud.cases.fake_connector import FakeConnector
from tests.cloud.cases.scenario import REPO, basic_repository
from tests.cloud.identity.conftest import Directory, make_directory
from tests.cloud.people import ADMIN, add_admin


@dataclass
class SupportTenant:
    directory: Directory
    connector: FakeConnector
    headers: dict[str, str]


def token_for(client, tenant_id: str, client_id: str, secret: str) -> str:
    response = client.post(
        f"/{tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "resource": SUPPORT_RESOURCE,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def support_tenant(cloud_client, cloud_context) -> SupportTenant:
    directory = make_directory(cloud_context, "contoso.onmicrosoft.com")
    connector = FakeConnector()
    cloud_context.extras[HTTP_EXTRA] = httpx.Client(transport=connector.transport())
    add_admin(cloud_context, directory.tenant_id)
    with transaction(cloud_context.sessions) as session:
        integration.save_basic_information(session, directory.tenant_id, app_id=directory.client.client_id)
        integration.add_repository(
            session, directory.tenant_id, basic_repository(connector), cloud_context.secrets
        )
    token = token_for(cloud_client, directory.tenant_id, directory.client.client_id, directory.client.secret)
    return SupportTenant(directory, connector, {"Authorization": f"Bearer {token}"})


def other_app_token(cloud_client, cloud_context, tenant_id: str, *, with_role: bool = True) -> str:
    with transaction(cloud_context.sessions) as session:
        app = identity.create_app_registration(session, tenant_id, "Someone else's app")
        if with_role:
            identity.grant_app_roles(session, app, SUPPORT_RESOURCE, ["Support.ReadWrite.All"])
        secret = identity.add_client_secret(session, app)
        client_id = app.client_id
    return token_for(cloud_client, tenant_id, client_id, secret)


def case_body(**overrides: object) -> dict:
    body = {
        "repositoryId": REPO,
        "incident": {"sysId": "b" * 32, "number": "INC0010002"},
        "title": "Teams calls drop",
        "description": "Calls drop after 60 seconds.",
        "contact": {"name": "Ada", "email": "ada@contoso.com", "phone": "+1 555 0100"},
        "preferredContactMethod": "email",
        "adminEmail": ADMIN[0],
        "testEnvironment": False,
    }
    body.update(overrides)
    return body
