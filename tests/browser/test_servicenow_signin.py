"""An agent opens the connector's Microsoft 365 support tab and signs in with their ServiceNow account:
the connector sends the browser to the stand-in instance's sign-in and consent pages (``/oauth_auth.do``),
and the agent lands on the tab with the role their instance roles map to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from m365bridge.connector.app import create_app
from m365bridge.connector.incidents import service as incidents
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import free_port, serving
from tests.connector.auth.instance_world import PASSWORD, InstanceWorld, instance_world


@pytest.fixture
def served(tmp_path, tls, new_database_url) -> Iterator[tuple[InstanceWorld, str, str]]:
    """The stand-in instance and the connector, both over https; an incident on the connector's desk."""
    port = free_port()
    bridge_url = f"https://localhost:{port}"
    with instance_world(tmp_path, tls, new_database_url, bridge_url=bridge_url) as world:
        with transaction(world.bridge.sessions, write=True) as session:
            incident = incidents.create_incident(
                session, {"short_description": "Outlook on the web does not load"}, incidents.SYSTEM
            )
            sys_id = incident.sys_id
        with serving(create_app(context=world.bridge), port=port, tls=tls):
            yield world, bridge_url, sys_id


def test_an_agent_signs_in_with_the_instance_and_lands_on_the_tab(page, served):
    world, bridge_url, sys_id = served
    page.goto(f"{bridge_url}/incidents/{sys_id}/m365")
    assert page.url.startswith(f"{bridge_url}/login")

    page.get_by_role("link", name="Sign in with ServiceNow").click()
    page.wait_for_load_state()
    assert page.url.startswith(f"{world.instance_url}/login")
    page.get_by_label("User name").fill("agent.itil")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Allow access").is_visible()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_load_state()

    assert page.url == f"{bridge_url}/incidents/{sys_id}/m365"
    assert page.locator(".who").inner_text() == "agent.itil@localhost"
    assert page.get_by_role("button", name="Microsoft 365 Insights").is_visible()
