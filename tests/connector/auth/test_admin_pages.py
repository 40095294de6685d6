"""The System pages of inbound auth as an admin uses them: OAuth API endpoints, OIDC, allowlist."""

from __future__ import annotations

import re

import pytest
import respx
from fastapi.testclient import TestClient

from m365bridge.connector.auth.allowlist import service as allowlist
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.auth.oidc import service as oidc_config
from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import login, make_user, page_csrf

METADATA = "https://login.idp.test/tenant/v2.0/.well-known/openid-configuration"
JWKS = "https://login.idp.test/tenant/discovery/v2.0/keys"


@pytest.fixture
def admin(connector_context, connector_client) -> TestClient:
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    return connector_client


def post(client: TestClient, path: str, data: dict[str, object]):
    return client.post(path, data={"csrf_token": page_csrf(client), **data}, follow_redirects=False)


def test_a_new_oauth_endpoint_shows_its_secret_once_and_never_on_the_list(connector_context, admin):
    created = post(admin, "/oauth-clients", {"name": "Microsoft 365 support"})

    secret = re.search(r'<div class="secret">([^<]+)</div>', created.text)
    assert created.status_code == 200 and secret
    assert created.headers["cache-control"] == "no-store"
    with transaction(connector_context.sessions) as session:
        (client,) = oauth_server.list_clients(session)
        assert oauth_server.authenticate_client(session, client.client_id, secret.group(1))
        client_id, row_id = client.client_id, client.id
    for later in (admin.get("/oauth-clients"), admin.get(f"/oauth-clients/{row_id}")):
        assert client_id in later.text and secret.group(1) not in later.text


def test_an_oauth_endpoint_is_edited_and_deactivated(connector_context, admin):
    with transaction(connector_context.sessions) as session:
        client, _ = oauth_server.create_client(session, "Support")
        row_id = client.id

    saved = post(
        admin,
        f"/oauth-clients/{row_id}",
        {"name": "Support", "access_token_lifespan": "600", "refresh_token_lifespan": "864000"},
    )

    assert saved.status_code == 303
    with transaction(connector_context.sessions) as session:
        client = oauth_server.get_client(session, row_id)
        assert (client.access_token_lifespan, client.refresh_token_lifespan, client.active) == (
            600,
            864000,
            False,
        )


def test_bad_lifespans_show_an_error_and_change_nothing(connector_context, admin):
    with transaction(connector_context.sessions) as session:
        row_id = oauth_server.create_client(session, "Support")[0].id

    response = post(
        admin,
        f"/oauth-clients/{row_id}",
        {"name": "Support", "access_token_lifespan": "10", "refresh_token_lifespan": "5", "active": "true"},
    )

    assert response.status_code == 400 and "banner-error" in response.text
    with transaction(connector_context.sessions) as session:
        assert oauth_server.get_client(session, row_id).access_token_lifespan == 1800


def test_admin_creates_an_oidc_provider_and_entity(connector_context, admin):
    created = post(
        admin,
        "/oidc/providers/new",
        {"name": "Contoso Azure", "metadata_url": METADATA, "user_claim": "appid", "active": "true"},
    )
    with transaction(connector_context.sessions) as session:
        provider_id = oidc_config.get_provider(session, "Contoso Azure").id
    entity = post(
        admin,
        "/oidc/entities/new",
        {"name": "REST API", "client_id": "api://rest", "provider_id": provider_id, "active": "true"},
    )

    assert (created.status_code, entity.status_code) == (303, 303)
    overview = admin.get("/oidc").text
    assert "Contoso Azure" in overview and "api://rest" in overview


def test_testing_the_metadata_url_reports_the_issuer_and_saves_nothing(connector_context, admin):
    with respx.mock(assert_all_called=True) as idp:
        idp.get(METADATA).respond(json={"issuer": "https://login.idp.test/tenant/v2.0", "jwks_uri": JWKS})
        idp.get(JWKS).respond(json={"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]})
        response = post(
            admin, "/oidc/providers/new", {"name": "Contoso", "metadata_url": METADATA, "action": "test"}
        )

    assert response.status_code == 200
    assert "https://login.idp.test/tenant/v2.0" in response.text and "1 RSA signing key" in response.text
    with transaction(connector_context.sessions) as session:
        assert not oidc_config.providers(session)


def test_a_failing_metadata_url_test_says_so_at_the_top_of_the_form(admin):
    with respx.mock() as idp:
        idp.get(METADATA).respond(503)
        response = post(
            admin, "/oidc/providers/new", {"name": "Contoso", "metadata_url": METADATA, "action": "test"}
        )

    assert response.status_code == 502 and "Metadata URL test failed" in response.text


def test_admin_adds_and_removes_an_allowlist_entry(connector_context, admin):
    added = post(admin, "/allowlist", {"cidr": "52.149.152.32", "description": "Microsoft"})
    page = admin.get("/allowlist").text
    with transaction(connector_context.sessions) as session:
        (entry,) = allowlist.entries(session)
    removed = post(admin, f"/allowlist/{entry.id}/delete", {})

    assert (added.status_code, removed.status_code) == (303, 303)
    assert "52.149.152.32/32" in page and "Not enforced" in page
    with transaction(connector_context.sessions) as session:
        assert not allowlist.entries(session)


def test_a_bad_allowlist_entry_shows_the_error(admin):
    response = post(admin, "/allowlist", {"cidr": "not-an-ip"})

    assert response.status_code == 400 and "is not an IP address or CIDR" in response.text


@pytest.mark.parametrize("path", ["/oauth-clients", "/oidc", "/allowlist", "/oidc/providers/new"])
def test_a_non_admin_gets_403(connector_context, connector_client, path):
    make_user(connector_context, "appadmin", [APP_ADMINISTRATOR])
    login(connector_client, "appadmin")

    assert connector_client.get(path).status_code == 403


def test_a_form_without_csrf_token_is_refused(connector_context, admin):
    response = admin.post("/allowlist", data={"cidr": "10.0.0.0/8"}, follow_redirects=False)

    assert response.status_code == 403
    with transaction(connector_context.sessions) as session:
        assert not allowlist.entries(session)
