from __future__ import annotations

from fastapi.testclient import TestClient

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import http_log
from m365bridge.connector.users.roles import ADMIN, ITIL
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API, basic, hidden_field, login, make_user

URL = f"{API}/oauth_entities"
NEW = {
    "name": "Azure",
    "client_id": "app-1",
    "client_secret": "the-secret-value",
    "token_url": "https://login.example.test/t/oauth2/token",
    "extra_params": {"resource": "https://graph.microsoft.com"},
}


def test_admin_creates_lists_and_deletes_without_ever_seeing_the_secret(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    make_user(connector_context, "root", [ADMIN])
    created = connector_client.post(URL, json=NEW, headers=basic("root"))
    assert created.status_code == 201, created.text
    entity = created.json()["result"]
    assert entity["profiles"][0]["is_default"] and "client_secret" not in entity
    listed = connector_client.get(URL, headers=basic("root"))
    assert [e["name"] for e in listed.json()["result"]] == ["Azure"]
    assert "the-secret-value" not in listed.text + created.text
    assert connector_client.delete(f"{URL}/{entity['id']}", headers=basic("root")).status_code == 204
    assert connector_client.get(f"{URL}/{entity['id']}", headers=basic("root")).status_code == 404


def test_non_admins_are_refused(connector_client: TestClient, connector_context: ConnectorContext) -> None:
    make_user(connector_context, "agent", [ITIL])
    assert connector_client.get(URL, headers=basic("agent")).status_code == 403
    assert connector_client.get(URL).status_code == 401


def test_registry_page_creates_a_provider(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    page = connector_client.get("/registry")
    assert page.status_code == 200 and "OAuth registry" in page.text
    form = {k: v for k, v in NEW.items() if k != "extra_params"} | {"resource": "https://graph.microsoft.com"}
    form["csrf_token"] = hidden_field(page.text, "csrf_token")
    done = connector_client.post("/registry", data=form)
    assert done.status_code == 200 and "Azure default_profile" in done.text
    assert "the-secret-value" not in done.text
    duplicate = connector_client.post("/registry", data=form)
    assert duplicate.status_code == 409 and "already exists" in duplicate.text


def test_outbound_log_page_filters_by_host(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    with transaction(connector_context.sessions) as session:
        for host in ("login.example.test", "graph.example.test"):
            http_log.record(
                session, source="t", method="GET", url=f"https://{host}/x", status=200, duration_ms=3
            )
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    page = connector_client.get("/logs/http", params={"host": "graph.example.test"})
    assert page.status_code == 200
    assert "https://graph.example.test/x" in page.text and "login.example.test/x" not in page.text
