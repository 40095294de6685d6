"""Rows 9-12: the cloud stopped (nothing shows up), a wrong client secret ("Please contact app support.")."""

from __future__ import annotations

import pytest

from m365bridge.cloud.app import create_app as create_cloud_app
from m365bridge.connector.insights.solutions import CONTACT_APP_SUPPORT
from m365bridge.connector.setup.modes import Mode
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.insights.test_tab import act
from tests.connector.insights.world import Tenant, outbound_entity, store_setup
from tests.connector.troubleshooting.conftest import World, doctor, evidence_text, failure_for

ASKS = [("insights", {}), ("search", {"text": "mail stuck in outbox"})]


@pytest.mark.parametrize(("action", "data"), ASKS, ids=["row_9", "row_11"])
def test_rows_9_and_11_cloud_stopped_nothing_shows_up(
    world: World, tls: ServerCertificate, action: str, data: dict[str, str]
) -> None:
    with serving(create_cloud_app(context=world.cloud), tls=tls) as cloud:
        stopped_url = cloud.url
        entity = outbound_entity(world.connector, stopped_url, world.tenant)
        store_setup(world.connector, mode=Mode.BASIC, entity_id=entity, cloud_url=stopped_url)
    sys_id = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox")
    page = act(world, sys_id, action, **data)
    assert page.status_code == 200 and "Recommended solutions and articles" in page.text
    assert "insight-solution" not in page.text and CONTACT_APP_SUPPORT not in page.text
    failure = failure_for(doctor(world), 9 if action == "insights" else 11)
    assert failure.rows == (9, 11, 13)  # Basic mode: Contact Microsoft support fails the same way
    assert "cannot reach the token URL" in failure.finding
    shown = evidence_text(failure)
    assert f"{stopped_url}/{world.tenant.tenant_id}/oauth2/token → no answer" in shown


@pytest.mark.parametrize(("action", "data"), ASKS, ids=["row_10", "row_12"])
def test_rows_10_and_12_wrong_secret_says_contact_app_support(
    world: World, action: str, data: dict[str, str]
) -> None:
    wrong = Tenant(world.tenant.tenant_id, world.tenant.client_id, "not-the-secret")
    entity = outbound_entity(world.connector, world.cloud_url, wrong)
    store_setup(world.connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=world.cloud_url)
    sys_id = world.incident("Mail delivery delayed")
    page = act(world, sys_id, action, **data)
    assert page.status_code == 502 and CONTACT_APP_SUPPORT in page.text and 'role="alert"' in page.text
    failure = failure_for(doctor(world), 10 if action == "insights" else 12)
    assert failure.rows == (10, 12) and failure.row.message == CONTACT_APP_SUPPORT
    assert "AADSTS7000215" in failure.finding or "refused a token" in failure.finding
    shown = evidence_text(failure)
    assert "/oauth2/token → 401" in shown or "/oauth2/token → 400" in shown
    assert "Recommended solutions failed" in shown
