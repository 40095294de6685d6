"""The instance adapter (``InstanceDesk``, the runner) against the stand-in instance, for Basic and OAuth."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator, Sequence

import httpx
import pytest
from fastapi.testclient import TestClient

from m365bridge.connector.app import create_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health import repository as health_repository
from m365bridge.connector.health.auto_incidents import CLOSE_CODE, apply_auto_incidents
from m365bridge.connector.health.models import AutoIncidentLink, AutoIncidentSettings
from m365bridge.connector.servicedesk import BUILTIN, desk_for, forget_choice, outbox
from m365bridge.connector.servicedesk.port import DeskIncident, NewIncident, WorkNote
from m365bridge.connector.servicenow import runner, service
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.desk import InstanceDesk, marker
from m365bridge.connector.users import service as users
from m365bridge.connector.users.roles import INCIDENT_MANAGER, ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import NotFound, UserError
from m365bridge.shared.orm import utcnow
from tests.connector.health.fake_graph import issue
from tests.connector.servicenow.conftest import INTEGRATION, PASSWORD, StandIn, connect

AUTH_TYPES = [AuthType.BASIC, AuthType.PASSWORD]


def use(bridge: ConnectorContext, enabled: bool = True) -> None:
    with transaction(bridge.sessions, write=True) as session:
        service.use_instance(session, enabled)
    forget_choice(bridge)


def table_api(stand_in: StandIn) -> httpx.Client:
    return httpx.Client(
        base_url=stand_in.url,
        auth=(INTEGRATION, PASSWORD),
        verify=ssl.create_default_context(cafile=str(stand_in.ca)),
    )


def create_on_instance(stand_in: StandIn, short_description: str) -> dict[str, str]:
    with table_api(stand_in) as http:
        answer = http.post("/api/now/table/incident", json={"short_description": short_description})
    answer.raise_for_status()
    return answer.json()["result"]


def journal(stand_in: StandIn, sys_id: str) -> list[str]:
    """The incident's work notes, read back through the stand-in's Table API."""
    query = f"element_id={sys_id}^element=work_notes^ORDERBYsys_created_on"
    with table_api(stand_in) as http:
        answer = http.get("/api/now/table/sys_journal_field", params={"sysparm_query": query})
    answer.raise_for_status()
    return [row["value"] for row in answer.json()["result"]]


@pytest.fixture
def handled() -> Iterator[list[DeskIncident]]:
    seen: list[DeskIncident] = []

    def handler(context: ConnectorContext, incidents: Sequence[DeskIncident]) -> None:
        seen.extend(incidents)

    runner.register_change_handler(handler)
    yield seen
    runner.unregister_change_handler(handler)


def test_the_instance_is_the_desk_only_once_enabled(bridge, stand_in):
    connect(bridge, stand_in, AuthType.BASIC)
    forget_choice(bridge)
    assert desk_for(bridge) is BUILTIN
    with transaction(bridge.sessions) as session:
        connection = service.get_connection(session)
        assert (connection.enabled, connection.agent_view) == (False, "both")

    use(bridge)
    assert isinstance(desk_for(bridge), InstanceDesk)
    connect(bridge, stand_in, AuthType.BASIC)  # configuring again leaves the choice as it is
    forget_choice(bridge)
    assert isinstance(desk_for(bridge), InstanceDesk)

    use(bridge, False)
    assert desk_for(bridge) is BUILTIN


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_a_change_on_the_instance_reaches_the_handlers_and_the_mirror(bridge, stand_in, handled, auth_type):
    old = create_on_instance(stand_in, "Printer jammed")
    connect(bridge, stand_in, auth_type)
    use(bridge)
    first = runner.sync_once(bridge)
    assert first.changed == 1 and handled == []  # the instance's history is mirrored, not "changed"

    new = create_on_instance(stand_in, "Teams calls drop every few minutes")
    second = runner.sync_once(bridge)

    assert second.changed == 1
    assert [(i.sys_id, i.number, i.short_description) for i in handled] == [
        (new["sys_id"], new["number"], "Teams calls drop every few minutes")
    ]
    assert handled[0].url.startswith(stand_in.url) and not handled[0].done
    desk = desk_for(bridge)
    with transaction(bridge.sessions) as session:
        numbers = desk.incident_numbers(session.connection(), {old["sys_id"], new["sys_id"], "f" * 32})
        page = desk.changed_since(session, None, limit=10)
    assert numbers == {old["sys_id"]: old["number"], new["sys_id"]: new["number"]}
    # Oldest change first: by sys_updated_on (whole seconds on an instance), then sys_id within a second.
    assert {i.sys_id for i in page.incidents} == {old["sys_id"], new["sys_id"]} and not page.more
    order = [(i.updated_on, i.sys_id) for i in page.incidents]
    assert order == sorted(order)


def test_handlers_are_not_called_when_agents_see_only_the_tab(bridge, stand_in, handled):
    connect(bridge, stand_in, AuthType.BASIC)
    use(bridge)
    with transaction(bridge.sessions, write=True) as session:
        service.set_agent_view(session, "tab")
    runner.sync_once(bridge)
    create_on_instance(stand_in, "OneDrive sync stuck")

    assert runner.sync_once(bridge).changed == 1 and handled == []


def test_a_bad_agent_view_is_refused_and_changes_nothing(bridge, stand_in):
    connect(bridge, stand_in, AuthType.BASIC)
    with (
        pytest.raises(UserError, match="work_notes, tab, both"),
        transaction(bridge.sessions, write=True) as session,
    ):
        service.set_agent_view(session, "email")
    with transaction(bridge.sessions) as session:
        assert service.get_connection(session).agent_view == "both"


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_a_work_note_is_delivered_once_and_read_back_through_the_table_api(bridge, stand_in, auth_type):
    incident = create_on_instance(stand_in, "Outlook slow")
    connect(bridge, stand_in, auth_type)
    use(bridge)
    desk = desk_for(bridge)
    note = WorkNote(incident["sys_id"], "Matched Microsoft 365 issue EX123456", "system", key="insights:1")
    for _ in range(2):  # a writer that runs twice records one write
        with transaction(bridge.sessions, write=True) as session:
            desk.add_work_notes(session.connection(), [note])

    assert runner.sync_once(bridge).delivered == 1
    assert runner.sync_once(bridge).delivered == 0

    assert journal(stand_in, incident["sys_id"]) == [
        f"Matched Microsoft 365 issue EX123456\n\n{marker('insights:1')}"
    ]


def test_reads_go_to_the_instance_and_an_unknown_incident_is_not_found(bridge, stand_in):
    incident = create_on_instance(stand_in, "VPN refused")
    connect(bridge, stand_in, AuthType.BASIC)
    use(bridge)
    desk = desk_for(bridge)
    with transaction(bridge.sessions) as session:
        read = desk.get_incident(session, incident["sys_id"])
        by_number = desk.find_incident(session, incident["number"])
        with pytest.raises(NotFound):
            desk.get_incident(session, "0" * 32)
        # Read, not yet polled: its number is known at once, without a call.
        assert desk.incident_numbers(session.connection(), {incident["sys_id"]}) == {
            incident["sys_id"]: incident["number"]
        }
    assert read.short_description == "VPN refused" and by_number.sys_id == incident["sys_id"]


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_create_with_correlation_id_then_resolve_with_the_close_code(bridge, stand_in, auth_type):
    connect(bridge, stand_in, auth_type)
    use(bridge)
    desk = desk_for(bridge)
    new = NewIncident("EX42", "Microsoft 365 service health", "Exchange degraded", "Mail delayed", 2, 2)
    with transaction(bridge.sessions, write=True) as session:
        assert desk.create_incident(session, new) is None  # delivered after the commit
    runner.sync_once(bridge)
    with transaction(bridge.sessions) as session:
        created = outbox.created_incident(session, "EX42")
    assert created is not None

    with transaction(bridge.sessions, write=True) as session:
        desk.resolve_incident(session, created.sys_id, "Solved (Permanently)", "Microsoft fixed it")
    runner.sync_once(bridge)

    with table_api(stand_in) as http:
        record = http.get(f"/api/now/table/incident/{created.sys_id}").json()["result"]
    assert (record["correlation_id"], record["short_description"], record["number"]) == (
        "EX42",
        "Exchange degraded",
        created.number,
    )
    assert (record["state"], record["close_code"], record["close_notes"]) == (
        "6",
        "Solved (Permanently)",
        "Microsoft fixed it",
    )


def test_an_auto_incident_is_created_on_the_instance_linked_and_resolved(bridge, stand_in):
    connect(bridge, stand_in, AuthType.PASSWORD)
    use(bridge)
    now = utcnow().replace(microsecond=0)
    with transaction(bridge.sessions, write=True) as session:
        session.add(AutoIncidentSettings(id=1, enabled=True, assignment_group="", auto_resolve=True))
        health_repository.upsert_issue(session, issue("EX7", now, title="Mail delayed"))
    apply_auto_incidents(bridge)
    result = runner.sync_once(bridge)
    assert result.delivered == 1 and result.adopted == 1
    with transaction(bridge.sessions) as session:
        link = session.get(AutoIncidentLink, "EX7")
        assert link is not None
        sys_id, number = link.incident_sys_id, link.incident_number
    with table_api(stand_in) as http:
        record = http.get(f"/api/now/table/incident/{sys_id}").json()["result"]
    assert (record["number"], record["correlation_id"]) == (number, "EX7")

    with transaction(bridge.sessions, write=True) as session:
        later = now.replace(year=now.year + 1)
        resolved = issue("EX7", later, title="Mail delayed", isResolved=True, status="serviceRestored")
        health_repository.upsert_issue(session, resolved)
    assert apply_auto_incidents(bridge).resolved == 1
    runner.sync_once(bridge)
    with table_api(stand_in) as http:
        record = http.get(f"/api/now/table/incident/{sys_id}").json()["result"]
    assert (record["state"], record["close_code"]) == ("6", CLOSE_CODE)


def test_a_push_wakes_the_runner_and_the_change_reaches_the_handlers(bridge, stand_in, handled):
    connect(bridge, stand_in, AuthType.BASIC)
    use(bridge)
    runner.sync_once(bridge)
    with transaction(bridge.sessions, write=True) as session:
        users.create_user(
            session,
            "push",
            password=PASSWORD,
            roles=[INCIDENT_MANAGER],
            web_service_access_only=True,
        )
        users.create_user(session, "agent", password=PASSWORD, roles=[ITIL])
    bridge.settings.servicenow_poll_seconds = 3600  # only the push can start a pass within the test
    incident = create_on_instance(stand_in, "SharePoint site read-only")
    path = "/api/x_mioms_m365_assis/v1/servicenow/changes"

    with TestClient(create_app(context=bridge)) as app:
        refused = [
            app.post(path, json={"sys_id": incident["sys_id"]}).status_code,
            app.post(path, json={"sys_id": incident["sys_id"]}, auth=("agent", PASSWORD)).status_code,
        ]
        bad = [
            app.post(path, json=body, auth=("push", PASSWORD))
            for body in ({"sys_id": "x" * 5000}, {"sys_id": 12}, {"sys_id": incident["sys_id"], "state": "6"})
        ]
        assert handled == []  # none of those woke it
        accepted = app.post(path, json={"sys_id": incident["sys_id"]}, auth=("push", PASSWORD))
        deadline = time.monotonic() + 20
        while not handled and time.monotonic() < deadline:
            time.sleep(0.1)

    assert refused == [401, 403]
    assert [(answer.status_code, "sys_id" in answer.text or "state" in answer.text) for answer in bad] == [
        (400, True)
    ] * 3
    assert (accepted.status_code, accepted.json()) == (202, {"polling": True})
    assert [i.sys_id for i in handled] == [incident["sys_id"]]
