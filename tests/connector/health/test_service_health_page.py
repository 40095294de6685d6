"""The Service Health page (admin): synced issues with their incidents, Sync now, auto-incident settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.cloud.context import CloudContext
from m365bridge.connector.app import create_app as create_connector_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository
from m365bridge.connector.health.auto_incidents import apply_auto_incidents
from m365bridge.connector.health.models import AutoIncidentLink, AutoIncidentSettings
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.users.roles import ADMIN, ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.auth.helpers import login, make_user, page_csrf
from tests.connector.health.fake_graph import issue
from tests.connector.insights.world import add_issue, cloud_tenant, outbound_entity, store_setup

PAGE = "/m365/service-health"
VALID = {
    "enabled": "true",
    "assignment_group": "M365 desk",
    "category": "software",
    "assigned_to": "",
    "subcategory": "email",
    "auto_resolve": "true",
}


def signed_in(client: TestClient, context: ConnectorContext, user_name: str, roles: list[str]) -> TestClient:
    make_user(context, user_name, roles)
    login(client, user_name)
    return client


def post_settings(client: TestClient, form: dict[str, str]):
    return client.post(
        f"{PAGE}/settings", data={**form, "csrf_token": page_csrf(client, "/")}, follow_redirects=False
    )


def stored_settings(context: ConnectorContext) -> tuple[object, ...] | None:
    with transaction(context.sessions) as session:
        row = session.get(AutoIncidentSettings, 1)
        if row is None:
            return None
        return (
            row.enabled,
            row.assignment_group,
            row.category,
            row.assigned_to,
            row.subcategory,
            row.auto_resolve,
        )


def test_admin_saves_the_auto_incident_settings(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    signed_in(connector_client, connector_context, "boss", [ADMIN])
    engineer = make_user(connector_context, "m365.engineer", [ITIL])
    saved = post_settings(connector_client, {**VALID, "assigned_to": "m365.engineer"})
    assert saved.status_code == 303 and saved.headers["location"] == PAGE
    assert stored_settings(connector_context) == (True, "M365 desk", "software", engineer, "email", True)
    page = connector_client.get(PAGE)
    assert 'value="m365.engineer"' in page.text and "Service Health settings saved." in page.text


def test_bad_input_shows_every_problem_at_the_top_of_the_form_and_changes_nothing(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    signed_in(connector_client, connector_context, "boss", [ADMIN])
    assert post_settings(connector_client, VALID).status_code == 303
    before = stored_settings(connector_context)
    bad = {**VALID, "assignment_group": " ", "category": "plumbing", "assigned_to": "nobody"}
    page = post_settings(connector_client, bad)
    assert page.status_code == 400
    form = page.text[page.text.index('action="/m365/service-health/settings"') :]
    alert = form[: form.index("csrf_token")]
    assert "Assignment group is required" in alert
    assert "Category &#39;plumbing&#39; is not one of" in alert
    assert "there is no user &#39;nobody&#39;" in alert
    assert 'value="nobody"' in form  # what was typed stays in the form to be corrected
    assert stored_settings(connector_context) == before


def test_enabling_without_group_and_category_is_refused(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    signed_in(connector_client, connector_context, "boss", [ADMIN])
    page = post_settings(connector_client, {"enabled": "true"})
    assert page.status_code == 400 and "Category is required" in page.text
    assert stored_settings(connector_context) is None


def test_the_page_and_its_forms_are_for_admins_only(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    signed_in(connector_client, connector_context, "agent", [ITIL])
    assert connector_client.get(PAGE).status_code == 403
    assert post_settings(connector_client, VALID).status_code == 403
    assert stored_settings(connector_context) is None
    csrf = page_csrf(connector_client, "/")
    assert connector_client.post(f"{PAGE}/sync", data={"csrf_token": csrf}).status_code == 403


def test_the_list_shows_each_issue_with_its_linked_incident(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    signed_in(connector_client, connector_context, "boss", [ADMIN])
    post_settings(connector_client, VALID)
    now = utcnow()
    with transaction(connector_context.sessions) as session:
        repository.upsert_issue(session, issue("EX501", now, title="Mail delayed for some users"))
        repository.upsert_issue(
            session, issue("TM502", now, title="Teams calls drop", service="Microsoft Teams", isResolved=True)
        )
    apply_auto_incidents(connector_context)
    with transaction(connector_context.sessions) as session:
        link = session.get(AutoIncidentLink, "EX501")
        assert link is not None
        number = session.get(Incident, link.incident_sys_id).number  # type: ignore[union-attr]
    page = connector_client.get(PAGE)
    assert page.status_code == 200
    row = re.search(r"<tr>(?:(?!</tr>).)*EX501(?:(?!</tr>).)*</tr>", page.text, re.S)
    assert row and "Mail delayed for some users" in row.group(0) and "Service degradation" in row.group(0)
    assert f'<a href="/incidents/{link.incident_sys_id}">{number}</a>' in row.group(0)
    resolved = re.search(r"<tr>(?:(?!</tr>).)*TM502(?:(?!</tr>).)*</tr>", page.text, re.S)
    assert resolved and "Microsoft Teams" in resolved.group(0) and "/incidents/" not in resolved.group(0)


@pytest.fixture
def cloud_connector(
    tmp_path: Path, cloud_context: CloudContext, tls: ServerCertificate
) -> Iterator[tuple[TestClient, ConnectorContext]]:
    """A connector set up against the real cloud over https, with one open Microsoft issue there."""
    tenant = cloud_tenant(cloud_context, knowledge=False)
    add_issue(cloud_context, tenant, "EX700800", "Users can't send mail from Outlook on the web")
    connector = ConnectorContext.build(
        ConnectorSettings(
            allow_private_endpoints=True,
            data_dir=tmp_path / "connector",
            ca_bundle=tls.ca_cert,
            health_sync_autostart=False,
        )
    )
    with (
        serving(create_cloud_app(context=cloud_context), tls=tls) as cloud,
        TestClient(create_connector_app(context=connector)) as client,
    ):
        entity = outbound_entity(connector, cloud.url, tenant)
        store_setup(connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=cloud.url)
        signed_in(client, connector, "boss", [ADMIN])
        yield client, connector
    connector.close()


def test_sync_now_fetches_the_issues_and_creates_their_incidents(
    cloud_connector: tuple[TestClient, ConnectorContext],
) -> None:
    client, connector = cloud_connector
    assert post_settings(client, VALID).status_code == 303
    csrf = page_csrf(client, "/")
    page = client.post(f"{PAGE}/sync", data={"csrf_token": csrf})
    assert page.status_code == 200 and "1 incident(s) created" in page.text
    assert "Users can&#39;t send mail from Outlook on the web" in page.text
    with transaction(connector.sessions) as session:
        [incident] = session.scalars(select(Incident).where(Incident.correlation_id == "EX700800"))
        assert incident.assignment_group == "M365 desk" and incident.category == "software"
    assert f'<a href="/incidents/{incident.sys_id}">{incident.number}</a>' in page.text


def test_sync_now_before_setup_says_what_to_do(
    connector_client: TestClient, connector_context: ConnectorContext
) -> None:
    signed_in(connector_client, connector_context, "boss", [ADMIN])
    csrf = page_csrf(connector_client, "/")
    page = connector_client.post(f"{PAGE}/sync", data={"csrf_token": csrf})
    assert "complete the setup&#39;s outbound OAuth provider step" in page.text
