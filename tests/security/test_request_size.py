"""Item 5 of the security review: request bodies are capped before they are read, on both sides, and
text fields are held to ServiceNow's lengths (the Table API, the incident pages, cases on both sides)."""

from __future__ import annotations

import socket
import ssl

import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.cases import repository as cloud_cases
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.app import create_app
from m365bridge.connector.cases.contact import ContactRequest
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.incidents import repository, service
from m365bridge.connector.incidents.encoded_query import parse
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users.roles import ADMIN, ITIL
from m365bridge.shared.body_limit import DEFAULT_MAX_BODY_BYTES
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.serving import start_in_thread
from tests.cloud.cases import conftest as cases_fixtures
from tests.cloud.cases.scenario import open_case
from tests.cloud.console.test_console import engineer_session
from tests.connector.auth.helpers import basic, login, make_user, page_csrf
from tests.connector.incidents.helpers import make_incident

TABLE = "/api/now/table/incident"
support_tenant = cases_fixtures.support_tenant  # the cloud cases' fixture, used here too
MEGABYTE = 1024 * 1024


def incident_count(context: ConnectorContext) -> int:
    with transaction(context.sessions) as session:
        return repository.list_incidents(session, parse(""), limit=1, offset=0).total


def servicenow_error(response) -> dict[str, str]:
    body = response.json()
    assert body["status"] == "failure" and set(body["error"]) == {"message", "detail"}, body
    return body["error"]


# -- the body cap ---------------------------------------------------------------------------------------


def test_an_anonymous_40_mb_post_is_refused_with_413_before_it_is_read(connector_context, connector_client):
    response = connector_client.post(
        TABLE, content=b"{" + b" " * (40 * MEGABYTE) + b"}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413  # not 401: the body is refused before anything looks at it
    assert str(DEFAULT_MAX_BODY_BYTES) in servicenow_error(response)["detail"]
    assert incident_count(connector_context) == 0


def test_the_token_endpoint_and_pages_answer_413_in_their_own_shapes(connector_client):
    big = b"x" * (DEFAULT_MAX_BODY_BYTES + 1)
    token = connector_client.post("/oauth_token.do", content=big)
    assert token.status_code == 413 and token.json()["error"] == "invalid_request"
    page = connector_client.post("/login", content=big)
    assert page.status_code == 413 and "max_request_body_bytes" in page.json()["error"]["message"]


def test_a_body_just_within_the_cap_is_read_as_usual(connector_context, connector_client):
    make_user(connector_context, "writer", [ITIL])
    start = b'{"short_description": "Fits"'
    body = start + b" " * (DEFAULT_MAX_BODY_BYTES - len(start) - 1) + b"}"
    response = connector_client.post(
        TABLE, content=body, headers={"Content-Type": "application/json", **basic("writer")}
    )
    assert len(body) == DEFAULT_MAX_BODY_BYTES and response.status_code == 201


def test_the_cap_follows_the_setting(tmp_path):
    settings = ConnectorSettings(data_dir=tmp_path, max_request_body_bytes=4096)
    with TestClient(create_app(settings)) as http:
        assert http.post(TABLE, content=b"x" * 4097).status_code == 413
        assert http.post(TABLE, content=b"x" * 4096).status_code == 401  # read, then refused unsigned


def chunked_post(port: int, ca_file: str, path: str, total: int) -> bytes:
    """POST ``total`` bytes with chunked transfer encoding (no Content-Length); returns the raw answer."""
    context = ssl.create_default_context(cafile=ca_file)
    with (
        socket.create_connection(("127.0.0.1", port)) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
        tls.sendall((head + "Content-Type: application/json\r\n\r\n").encode())
        chunk = b" " * 65536
        sent = 0
        try:
            while sent < total:
                tls.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            tls.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before the whole body was sent
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and answer.endswith(b"}"):
                break
        return answer


def test_a_chunked_body_is_counted_as_it_streams_and_refused_past_the_cap(connector_context, tls):
    server = start_in_thread(create_app(context=connector_context), port=0, tls=tls)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        answer = chunked_post(port, str(tls.ca_cert), TABLE, 3 * MEGABYTE)
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"status":"failure"' in answer
    assert incident_count(connector_context) == 0


def test_the_cloud_caps_bodies_too_in_its_shapes(cloud_client):
    big = b"x" * (DEFAULT_MAX_BODY_BYTES + 1)
    cases = cloud_client.post("/support/v1/cases", content=big, headers={"Content-Type": "application/json"})
    assert cases.status_code == 413 and "max_request_body_bytes" in cases.json()["error"]["message"]
    token = cloud_client.post("/contoso.onmicrosoft.com/oauth2/token", content=big)
    assert token.status_code == 413 and token.json()["error"] == "invalid_request"


def test_the_cloud_cap_follows_its_setting(tmp_path, new_database_url):
    settings = CloudSettings(
        data_dir=tmp_path, database_url=new_database_url("cloud"), max_request_body_bytes=2048
    )
    context = CloudContext.build(settings)
    with TestClient(create_cloud_app(context=context)) as http:
        assert http.post("/portal/login", content=b"x" * 2049).status_code == 413
    context.close()


# -- field lengths --------------------------------------------------------------------------------------


@pytest.fixture
def writer(connector_context) -> dict[str, str]:
    make_user(connector_context, "writer", [ITIL])
    return basic("writer")


@pytest.mark.parametrize(
    ("field", "limit"), [("short_description", 160), ("description", 4000), ("close_notes", 4000)]
)
def test_table_api_refuses_a_field_past_servicenows_length(
    connector_context, connector_client, writer, field, limit
):
    fields = {"short_description": "Mail is slow", field: "x" * (limit + 1)}
    refused = connector_client.post(TABLE, json=fields, headers=writer)
    assert refused.status_code == 400
    error = servicenow_error(refused)
    assert field in error["detail"] and str(limit) in error["detail"]
    assert incident_count(connector_context) == 0
    accepted = connector_client.post(TABLE, json={**fields, field: "x" * limit}, headers=writer)
    assert accepted.status_code == 201


@pytest.mark.parametrize("journal", ["work_notes", "comments"])
def test_a_journal_entry_past_4000_characters_changes_nothing(
    connector_context, connector_client, writer, journal
):
    sys_id, _ = make_incident(connector_context)
    refused = connector_client.patch(
        f"{TABLE}/{sys_id}", json={journal: "n" * 4001, "short_description": "Changed"}, headers=writer
    )
    assert refused.status_code == 400 and "4000" in servicenow_error(refused)["detail"]
    with transaction(connector_context.sessions) as session:
        incident = service.get_incident(session, sys_id)
        assert incident.short_description == "Mail is slow"
        assert list(service.list_journal(session, incident)) == []


def test_the_incident_form_refuses_a_25_mb_description_and_a_long_one(connector_context, connector_client):
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    csrf = page_csrf(connector_client, "/incidents")
    huge = connector_client.post(
        "/incidents/new",
        data={"csrf_token": csrf, "short_description": "x", "description": "d" * 25 * MEGABYTE},
    )
    assert huge.status_code == 413
    long = connector_client.post(
        "/incidents/new", data={"csrf_token": csrf, "short_description": "x", "description": "d" * 4001}
    )
    assert "at most 4000 characters" in long.text
    assert incident_count(connector_context) == 0


def test_case_requests_are_held_to_the_support_services_lengths():
    fine = ContactRequest("Title", "d" * 32000, "Ada", "ada@contoso.com")
    fine.check()
    for request in (
        ContactRequest("t" * 301, "", "Ada", "ada@contoso.com"),
        ContactRequest("Title", "d" * 32001, "Ada", "ada@contoso.com"),
        ContactRequest("Title", "", "A" * 201, "ada@contoso.com"),
    ):
        with pytest.raises(UserError, match="too long"):
            request.check()


def test_the_cloud_refuses_long_case_fields_and_stores_nothing(cloud_client, cloud_context, support_tenant):
    too_long = cases_fixtures.case_body(description="d" * 32001)
    response = cloud_client.post("/support/v1/cases", json=too_long, headers=support_tenant.headers)
    assert response.status_code in (400, 422)
    with transaction(cloud_context.sessions) as session:
        assert list(cloud_cases.cases(session, tenant_id=support_tenant.directory.tenant_id)) == []


def test_the_console_refuses_a_reply_past_the_case_message_length(cloud_client, cloud_context):
    csrf = engineer_session(cloud_client, cloud_context)
    case = open_case(cloud_context)
    refused = cloud_client.post(
        f"/console/cases/{case.id}/reply", data={"csrf_token": csrf, "body": "r" * 32001}
    )
    assert refused.status_code == 400 and "at most 32000" in refused.json()["error"]["message"]
    with transaction(cloud_context.sessions) as session:
        assert list(cloud_cases.messages(session, case.id)) == []
