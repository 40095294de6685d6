"""Abuse of the token endpoints: spraying, replay, confused grants, secrets sent to the wrong client."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oauth.models import OAuthToken
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from tests.cloud.identity.conftest import make_directory
from tests.connector.auth.helpers import API, PASSWORD, make_user
from tests.connector.auth.test_oauth_token import (
    make_client,
    password_grant,
    refresh_grant,
    setup_integration,
)


def token_post(http, **form):
    return http.post("/oauth_token.do", data=form)


def test_password_spraying_from_one_address_is_throttled_with_429(tmp_path, record_property):
    settings = ConnectorSettings(data_dir=tmp_path, lockout_address_failures=5, lockout_account_failures=50)
    context = ConnectorContext.build(settings)
    client_id, secret = make_client(context)
    accounts = [f"user{n}" for n in range(8)]
    for name in accounts:
        make_user(context, name, ["itil"])
    with TestClient(create_app(context=context)) as http:
        statuses = [
            password_grant(http, client_id, secret, name, "Winter2025!").status_code for name in accounts
        ]
        # The right password of a fresh account is still refused from the spraying address.
        after = password_grant(http, client_id, secret, accounts[-1], PASSWORD)

    record_property("tally:password_spray_attempts", len(accounts) + 1)
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}
    assert after.status_code == 429


def test_a_replayed_refresh_token_revokes_the_family(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)
    first = password_grant(connector_client, client_id, secret).json()
    second = refresh_grant(connector_client, client_id, secret, first["refresh_token"]).json()
    with transaction(connector_context.sessions) as session:  # the grace window has passed
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.rotated_at.is_not(None))
            .values(rotated_at=utcnow() - dt.timedelta(days=1))
        )

    replay = refresh_grant(connector_client, client_id, secret, first["refresh_token"])
    successor = refresh_grant(connector_client, client_id, secret, second["refresh_token"])
    access = connector_client.get(
        f"{API}/whoami", headers={"Authorization": f"Bearer {second['access_token']}"}
    )

    assert replay.status_code == 401
    assert successor.status_code == 401
    assert access.status_code == 401


def test_a_client_secret_sent_with_another_clients_id_is_refused(connector_context, connector_client):
    client_a, _ = setup_integration(connector_context)
    _, secret_b = make_client(connector_context)

    assert password_grant(connector_client, client_a, secret_b).status_code == 401


def test_a_refresh_token_of_another_client_is_refused(connector_context, connector_client):
    client_a, secret_a = setup_integration(connector_context)
    client_b, secret_b = make_client(connector_context)
    refresh = password_grant(connector_client, client_a, secret_a).json()["refresh_token"]

    assert refresh_grant(connector_client, client_b, secret_b, refresh).status_code == 401


@pytest.mark.parametrize(
    "grant",
    [
        "client_credentials",
        "authorization_code",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "",
    ],
)
def test_other_grant_types_are_refused(connector_context, connector_client, grant):
    client_id, secret = setup_integration(connector_context)

    response = token_post(
        connector_client,
        grant_type=grant,
        client_id=client_id,
        client_secret=secret,
        code="abc",
        username="integration",
        password=PASSWORD,
    )

    assert response.status_code in (400, 422)
    assert "access_token" not in response.text


def test_tokens_in_the_wrong_slot_are_refused(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)
    tokens = password_grant(connector_client, client_id, secret).json()

    refresh_as_password = password_grant(
        connector_client, client_id, secret, "integration", tokens["refresh_token"]
    )
    access_as_refresh = refresh_grant(connector_client, client_id, secret, tokens["access_token"])
    refresh_as_bearer = connector_client.get(
        f"{API}/whoami", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )

    assert refresh_as_password.status_code == 401
    assert access_as_refresh.status_code == 401
    assert refresh_as_bearer.status_code == 401


@pytest.mark.parametrize(
    "grant",
    ["password", "refresh_token", "authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
)
def test_the_cloud_identity_refuses_grants_other_than_client_credentials(cloud_context, cloud_client, grant):
    directory = make_directory(cloud_context, "contoso.onmicrosoft.com")

    response = cloud_client.post(
        f"/{directory.tenant_id}/oauth2/token",
        data={
            "grant_type": grant,
            "client_id": directory.client.client_id,
            "client_secret": directory.client.secret,
            "resource": "https://graph.microsoft.com",
            "username": "a",
            "password": "b",
            "code": "c",
            "refresh_token": "r",
            "assertion": "x",
        },
    )

    assert response.status_code == 400
    assert "access_token" not in response.text


def test_the_cloud_identity_refuses_another_clients_secret(cloud_context, cloud_client):
    directory = make_directory(cloud_context, "contoso.onmicrosoft.com")

    response = cloud_client.post(
        f"/{directory.tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": directory.client.client_id,
            "client_secret": directory.v1_api.secret,
            "resource": "https://graph.microsoft.com",
        },
    )

    assert response.status_code == 401
    assert "AADSTS7000215" in response.json()["error_description"]
