"""PySNC, ServiceNow's own Python client, against the Table API over https (basic auth and password grant)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pysnc import ServiceNowClient, ServiceNowPasswordGrantFlow

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.users.roles import INCIDENT_MANAGER
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from tests.connector.auth.helpers import PASSWORD, make_user
from tests.connector.incidents.helpers import make_incident


@pytest.fixture
def instance(connector_context, tls, monkeypatch) -> Iterator[str]:
    # requests prefers REQUESTS_CA_BUNDLE from the environment over a session's own ``verify``.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_cert))
    make_user(connector_context, "m365.integration", [INCIDENT_MANAGER], web_service_access_only=True)
    with serving(create_app(context=connector_context), tls=tls) as server:
        yield server.url


@pytest.fixture
def basic_client(instance, tls) -> ServiceNowClient:
    return ServiceNowClient(instance, ("m365.integration", PASSWORD), verify=str(tls.ca_cert))


def test_query_with_an_encoded_query(connector_context, basic_client):
    make_incident(connector_context, short_description="Teams calls drop", impact=1, urgency=1)
    make_incident(connector_context, short_description="Printer jam")

    gr = basic_client.GlideRecord("incident")
    gr.add_encoded_query("priority=1^short_descriptionLIKEteams")
    gr.query()

    assert gr.get_row_count() == 1
    assert [(r.number.get_value(), r.priority.get_display_value()) for r in gr] == [
        ("INC0010001", "1 - Critical")
    ]


def test_get_insert_update_and_read_the_journal(basic_client):
    created = basic_client.GlideRecord("incident")
    created.initialize()
    created.short_description = "Outlook cannot connect"
    created.urgency = "1"
    sys_id = created.insert()
    assert sys_id

    fetched = basic_client.GlideRecord("incident")
    assert fetched.get(str(sys_id))
    assert fetched.number.get_value() == "INC0010001" and fetched.priority.get_value() == "3"
    fetched.work_notes = "Asked the user to restart Outlook"
    fetched.state = "2"
    fetched.update()
    assert fetched.state.get_display_value() == "In Progress"

    journal = basic_client.GlideRecord("sys_journal_field")
    journal.add_encoded_query(f"element_id={sys_id}^element=work_notes")
    journal.query()
    assert [(e.value.get_value(), e.sys_created_by.get_value()) for e in journal] == [
        ("Asked the user to restart Outlook", "m365.integration")
    ]


def test_password_grant_flow_gets_a_token_that_reads_incidents(connector_context, instance, tls):
    with transaction(connector_context.sessions) as session:
        oauth_client, secret = oauth_server.create_client(session, "Microsoft 365 support")
        client_id = oauth_client.client_id
    make_incident(connector_context, short_description="SharePoint slow")
    flow = ServiceNowPasswordGrantFlow("m365.integration", PASSWORD, client_id, secret)

    client = ServiceNowClient(instance, flow, verify=str(tls.ca_cert))
    gr = client.GlideRecord("incident")
    gr.query()

    assert [r.short_description.get_value() for r in gr] == ["SharePoint slow"]
