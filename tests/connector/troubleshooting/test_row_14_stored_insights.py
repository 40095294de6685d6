"""Row 14: an incident re-created after its insights were stored shows none of them; the doctor finds why."""

from __future__ import annotations

from m365bridge.connector.incidents import service as incidents
from m365bridge.shared.db import transaction
from tests.connector.insights.test_tab import act, configured
from tests.connector.troubleshooting.conftest import World, doctor, evidence_text, failure_for


def test_row_14_recreated_incident_loses_its_recommended_solutions(world: World) -> None:
    configured(world)
    old = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox")
    assert act(world, old, "insights").status_code == 200
    assert "insight-solution" in world.client.get(f"/incidents/{old}/m365").text
    with transaction(world.connector.sessions) as session:
        incidents.delete_incident(session, incidents.get_incident(session, old))
    new = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox")
    reopened = world.client.get(f"/incidents/{new}/m365")
    assert reopened.status_code == 200 and "insight-solution" not in reopened.text
    failure = failure_for(doctor(world), 14)
    assert f"missing incident {old}" in evidence_text(failure)
    assert new not in evidence_text(failure)
