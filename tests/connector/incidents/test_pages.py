"""The incident pages as a signed-in admin uses them: create, edit, work note, resolve, reopen."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from m365bridge.connector.incidents import service
from m365bridge.connector.users.roles import ADMIN, INSIGHTS_USER
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import login, make_user, page_csrf
from tests.connector.incidents.helpers import make_incident


@pytest.fixture
def admin(connector_context, connector_client) -> TestClient:
    make_user(connector_context, "admin", [ADMIN])
    login(connector_client, "admin")
    return connector_client


def post(client: TestClient, path: str, **data: str):
    return client.post(
        path, data={"csrf_token": page_csrf(client, "/incidents"), **data}, follow_redirects=False
    )


def stored(context, sys_id: str):
    with transaction(context.sessions) as session:
        incident = service.get_incident(session, sys_id)
        return incident, list(service.list_journal(session, incident))


def test_admin_creates_edits_notes_resolves_and_reopens_an_incident(connector_context, admin):
    created = post(
        admin,
        "/incidents/new",
        short_description="VPN drops",
        impact="2",
        urgency="1",
        category="network",
        work_notes="Seen by three users",
    )
    assert created.status_code == 303
    sys_id = created.headers["location"].rsplit("/", 1)[-1]
    form = admin.get(f"/incidents/{sys_id}").text
    assert "INC0010001" in form and "VPN drops" in form and "Seen by three users" in form

    post(
        admin,
        f"/incidents/{sys_id}",
        action="update",
        short_description="VPN drops hourly",
        impact="2",
        urgency="2",
        state="2",
        category="network",
    )
    post(admin, f"/incidents/{sys_id}", action="update", work_notes="Gateway firmware updated")
    incident, journal = stored(connector_context, sys_id)
    assert (incident.short_description, incident.priority, incident.state) == ("VPN drops hourly", 3, 2)
    assert sorted(e.value for e in journal) == ["Gateway firmware updated", "Seen by three users"]

    resolved = post(
        admin,
        f"/incidents/{sys_id}",
        action="resolve",
        close_code="Solved (Permanently)",
        close_notes="Firmware fixed it",
    )
    assert resolved.status_code == 303
    incident, _ = stored(connector_context, sys_id)
    assert (incident.state, incident.close_code, incident.active) == (6, "Solved (Permanently)", True)
    assert "Firmware fixed it" in admin.get(f"/incidents/{sys_id}?tab=resolution").text

    post(admin, f"/incidents/{sys_id}", action="reopen")
    incident, _ = stored(connector_context, sys_id)
    assert (incident.state, incident.reopen_count, incident.resolved_at) == (2, 1, None)


def test_resolving_without_notes_shows_the_error_and_changes_nothing(connector_context, admin):
    sys_id, _ = make_incident(connector_context)
    response = post(
        admin, f"/incidents/{sys_id}", action="resolve", close_code="Solved (Permanently)", close_notes=""
    )
    assert response.status_code == 400 and "resolution notes" in response.text
    assert stored(connector_context, sys_id)[0].state == 1


def test_list_filters_by_text_priority_and_assigned_to_me(connector_context, admin):
    make_incident(
        connector_context, short_description="Teams outage", impact=1, urgency=1, assigned_to="admin"
    )
    make_incident(connector_context, short_description="Printer jam")

    def numbers(**params: str) -> list[str]:
        return re.findall(r">(INC\d{7})<", admin.get("/incidents", params=params).text)

    assert numbers() == ["INC0010002", "INC0010001"]
    assert numbers(q="teams") == ["INC0010001"]
    assert numbers(priority="5") == ["INC0010002"]
    assert numbers(mine="true") == ["INC0010001"]


def test_the_form_has_the_microsoft_365_support_tab(connector_context, admin):
    sys_id, _ = make_incident(connector_context)
    page = admin.get(f"/incidents/{sys_id}?tab=m365")
    assert page.status_code == 200 and "Microsoft 365 support" in page.text


def test_an_insights_user_sees_the_form_read_only(connector_context, connector_client):
    make_user(connector_context, "insights", [INSIGHTS_USER])
    sys_id, _ = make_incident(connector_context)
    login(connector_client, "insights")
    assert "disabled" in connector_client.get(f"/incidents/{sys_id}").text
    refused = post(connector_client, f"/incidents/{sys_id}", action="update", work_notes="x")
    assert refused.status_code == 403


def test_signed_out_visitors_are_sent_to_login(connector_client):
    response = connector_client.get("/incidents", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
