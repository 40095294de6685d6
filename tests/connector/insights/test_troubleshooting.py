"""The troubleshooting rows of Microsoft 365 Insights, each with the log line its diagnostic names."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.connector.auth.helpers import page_csrf
from tests.connector.insights.conftest import World
from tests.connector.insights.test_tab import act
from tests.connector.insights.world import Tenant, graph_only_app, outbound_entity, store_setup

from m365bridge.connector.insights.solutions import CONTACT_APP_SUPPORT
from m365bridge.connector.logs import http_log, system_log
from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.connector.setup.gate import SETUP_INCOMPLETE, SETUP_NOT_CONFIRMED
from m365bridge.connector.setup.modes import Mode
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import free_port

ASKS = [("insights", {}), ("search", {"text": "mail stuck in outbox"})]
API = "/api/x_mioms_m365_assis/v1/incidents"


def logged(world: World, text: str) -> list[system_log.SystemLogLine]:
    with transaction(world.connector.sessions) as session:
        return list(system_log.search(session, source="x_mioms_m365_assis", text=text))


@pytest.mark.parametrize(("action", "data"), ASKS)
@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"finished": False, "confirmed": False}, SETUP_INCOMPLETE),
        ({"confirmed": False}, SETUP_NOT_CONFIRMED),
    ],
)
def test_rows_2_to_5_setup_not_finished_or_not_confirmed(
    world: World, action: str, data: dict[str, str], setup: dict[str, bool], message: str
) -> None:
    entity = outbound_entity(world.connector, world.cloud_url, world.tenant)
    store_setup(world.connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=world.cloud_url, **setup)
    sys_id = world.incident("Mail delivery delayed")
    page = act(world, sys_id, action, **data)
    assert page.status_code == 409 and message in page.text and 'role="alert"' in page.text
    assert logged(world, message)
    api = api_insights(world, sys_id)
    assert api.status_code == 409 and api.json()["error"]["detail"] == message


def api_insights(world: World, sys_id: str):
    """The API read a session caller makes: with the CSRF header, as on every /api call (docs/security.md)."""
    csrf = page_csrf(world.client, f"/incidents/{sys_id}/m365")
    return world.client.get(f"{API}/{sys_id}/insights", headers={"X-CSRF-Token": csrf})


def unreachable(world: World) -> str:
    return f"https://localhost:{free_port()}"


@pytest.mark.parametrize(("action", "data"), ASKS)
@pytest.mark.parametrize("down", ["identity", "support"])
def test_rows_9_and_11_network_failure_shows_nothing_and_the_http_log_has_the_call(
    world: World, action: str, data: dict[str, str], down: str
) -> None:
    dead = unreachable(world)
    entity = outbound_entity(world.connector, dead if down == "identity" else world.cloud_url, world.tenant)
    support_url = f"{dead}/support" if down == "support" else None
    store_setup(
        world.connector,
        mode=Mode.INSIGHTS,
        entity_id=entity,
        cloud_url=world.cloud_url,
        support_url=support_url,
    )
    sys_id = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox")
    page = act(world, sys_id, action, **data)
    assert page.status_code == 200 and "Recommended solutions and articles" in page.text
    assert "insight-solution" not in page.text and CONTACT_APP_SUPPORT not in page.text
    with transaction(world.connector.sessions) as session:
        failed = session.scalars(
            select(OutboundHttpRequest).where(OutboundHttpRequest.error.is_not(None))
        ).all()
    assert failed and all(row.status is None for row in failed)
    assert all(row.url.startswith(dead) for row in failed)
    api = api_insights(world, sys_id).json()
    assert api["solutions"] == [] and api["warnings"]


@pytest.mark.parametrize(("action", "data"), ASKS)
def test_rows_10_and_12_support_service_error_says_contact_app_support(
    world: World, action: str, data: dict[str, str]
) -> None:
    without_role: Tenant = graph_only_app(world.cloud, world.tenant)
    entity = outbound_entity(world.connector, world.cloud_url, without_role)
    store_setup(world.connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=world.cloud_url)
    sys_id = world.incident("Mail delivery delayed")
    page = act(world, sys_id, action, **data)
    assert page.status_code == 502 and CONTACT_APP_SUPPORT in page.text
    [line, *_] = logged(world, "Recommended solutions failed")
    assert line.level == "error" and line.context and line.context["status"] == 403
    api = api_insights(world, sys_id)
    assert api.status_code == 502 and api.json()["error"]["detail"] == CONTACT_APP_SUPPORT


def test_without_any_setup_only_public_solutions_and_no_token(world: World) -> None:
    store_setup(world.connector, mode=Mode.NONE, entity_id=None, cloud_url=world.cloud_url)
    sys_id = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox")
    body = api_insights(world, sys_id).json()
    assert body["serviceHealth"] == [] and body["solutions"]
    with transaction(world.connector.sessions) as session:
        calls = http_log.search(session)
    assert calls and all("/oauth2/" not in row.url for row in calls)
