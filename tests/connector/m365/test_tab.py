"""The "Microsoft 365 support" tab is composed in one place: named sections, rendered in order."""

from __future__ import annotations

from m365bridge.connector.auth.dependencies import Principal
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.m365.tab import build_tab
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import APP_ADMINISTRATOR, ITIL
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import login, make_user


def an_incident(context) -> str:
    with transaction(context.sessions) as session:
        agent = Principal.of(users.get_user(session, "agent"), "session")
        return incidents.create_incident(session, {"short_description": "Mail is slow"}, agent).sys_id


def test_the_tab_has_its_sections_by_name_in_order(connector_context):
    make_user(connector_context, "agent", [ITIL, APP_ADMINISTRATOR])
    sys_id = an_incident(connector_context)

    with transaction(connector_context.sessions) as session:
        agent = Principal.of(users.get_user(session, "agent"), "session")
        tab = build_tab(session, incidents.get_incident(session, sys_id), agent)

    assert [(s.name, s.template) for s in tab.sections] == [
        ("insights", "insights/panel.html"),
        ("support", "cases/contact.html"),
    ]
    assert tab.sections[1].data["can_contact"] is True
    assert tab.sections[1].data["cases"] == []


def test_the_tab_page_renders_every_section_in_order(connector_context, connector_client):
    make_user(connector_context, "agent", [ITIL, APP_ADMINISTRATOR])
    sys_id = an_incident(connector_context)
    login(connector_client, "agent")

    page = connector_client.get(f"/incidents/{sys_id}?tab=m365")

    assert page.status_code == 200
    assert page.url.path == f"/incidents/{sys_id}/m365"
    insights = page.text.index(f'action="/incidents/{sys_id}/m365/insights"')
    support = page.text.index('aria-label="Contact Microsoft support"')
    assert insights < support
    assert f'action="/incidents/{sys_id}/m365/cases"' in page.text
