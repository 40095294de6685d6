"""Contact Microsoft support through the connector's API against the real cloud: idempotency, roles,
messages #8, #13 (with the outbound HTTP log as evidence) and #16."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.cloud.directory import service as directory
from m365bridge.connector.cases import service as cases
from m365bridge.connector.cases.models import SupportCase
from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.connector.setup.models import SetupState
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from tests.e2e.loop import API, Loop, write
from tests.support.deferred_writes import recording_deferred_writes

NOT_AN_ADMIN = (
    "{} is not a valid Microsoft 365 admin account. You need Microsoft 365 admin privileges to open a "
    "service request. In the app, link the admin account."
)


def _case_body() -> dict[str, object]:
    return {
        "title": "Teams calls drop",
        "description": "Calls drop after a minute.",
        "contact": {"name": "Ada", "email": "ada@contoso.com", "phone": ""},
        "preferredContactMethod": "email",
    }


def test_the_same_idempotency_key_twice_opens_one_case(loop: Loop) -> None:
    incident = loop.new_incident()
    key = uuid.uuid4().hex
    first = loop.escalate(incident, key=key)
    second = loop.escalate(incident, key=key)
    assert first["number"] == second["number"]
    with loop.agent() as agent:
        assert len(agent.get(f"{API}/incidents/{incident}/cases").json()["result"]) == 1


def test_opening_a_case_needs_the_administrator_role(loop: Loop) -> None:
    incident = loop.new_incident()
    with loop.agent("agent") as agent:
        answer = agent.post(f"{API}/incidents/{incident}/cases", json=_case_body())
    assert answer.status_code == 403
    assert answer.json()["status"] == "failure"


def test_an_admin_email_that_is_not_a_tenant_admin_gets_message_8(loop: Loop) -> None:
    admin = loop.record.users["tenant_admin"]["user_name"]
    incident = loop.new_incident()
    write(loop.cloud.sessions, lambda s: directory.set_active(s, admin, False))
    try:
        with loop.agent() as agent:
            answer = agent.post(f"{API}/incidents/{incident}/cases", json=_case_body())
    finally:
        write(loop.cloud.sessions, lambda s: directory.set_active(s, admin, True))
    assert answer.status_code == 403
    assert answer.json()["error"]["detail"] == NOT_AN_ADMIN.format(admin)


def test_link_account_accepts_only_a_tenant_admin_and_cases_then_use_it(loop: Loop) -> None:
    user_id = _user_id(loop, "escalation")
    try:
        cases.link_account(loop.connector, user_id, "nobody@contoso.com")
    except UserError as error:
        assert str(error) == NOT_AN_ADMIN.format("nobody@contoso.com")
    else:
        raise AssertionError("a non-admin email was linked")
    admin = loop.record.users["tenant_admin"]["user_name"]
    with recording_deferred_writes() as breaches:
        assert cases.link_account(loop.connector, user_id, admin) == admin
    assert breaches == []  # reads the user, then writes it: a writer from its first statement
    case = loop.escalate(loop.new_incident())
    assert case["adminEmail"] == admin
    assert cases.link_account(loop.connector, user_id, "") is None


def test_a_failed_ticket_details_save_gets_message_16(loop: Loop) -> None:
    case = loop.escalate(loop.new_incident())
    contact = {"name": "Ada", "email": "ada@contoso.com", "phone": "", "preferredContactMethod": "phone"}
    with loop.agent() as agent:
        answer = agent.patch(f"{API}/cases/{case['sys_id']}/contact", json=contact)
    assert answer.json()["error"]["detail"] == "Unable to save ticket details. Please contact App support."


def test_ticket_details_are_saved_on_the_case(loop: Loop) -> None:
    case = loop.escalate(loop.new_incident())
    contact = {
        "name": "Bo",
        "email": "bo@contoso.com",
        "phone": "+1 555 0199",
        "preferredContactMethod": "phone",
    }
    with loop.agent() as agent:
        answer = agent.patch(f"{API}/cases/{case['sys_id']}/contact", json=contact)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["contact"]["name"] == "Bo"


def test_an_unreachable_support_service_changes_nothing_and_the_outbound_log_shows_why(loop: Loop) -> None:
    incident = loop.new_incident()
    support_url = write(
        loop.connector.sessions, lambda s: _point_support_at(s, "https://localhost:9/support")
    )
    try:
        with loop.agent() as agent:
            answer = agent.post(f"{API}/incidents/{incident}/cases", json=_case_body())
            listed = agent.get(f"{API}/incidents/{incident}/cases").json()["result"]
    finally:
        write(loop.connector.sessions, lambda s: _point_support_at(s, support_url))
    assert answer.status_code == 503
    assert listed == []
    with transaction(loop.connector.sessions) as session:
        logged = session.scalars(
            select(OutboundHttpRequest).where(
                OutboundHttpRequest.url.like("https://localhost:9/support/v1/cases%")
            )
        ).all()
    assert logged and logged[-1].status is None and "ConnectError" in (logged[-1].error or "")


def _user_id(loop: Loop, name: str) -> str:
    from m365bridge.connector.users import repository as users

    with transaction(loop.connector.sessions) as session:
        user = users.by_user_name(session, loop.record.users[name]["user_name"])
        assert user is not None
        return user.id


def _point_support_at(session: Session, url: str) -> str:
    state = session.scalars(select(SetupState)).one()
    previous, state.support_url = state.support_url, url
    return previous


def test_an_opened_case_is_keyed_by_the_incidents_sys_id_and_number(loop: Loop) -> None:
    incident = loop.new_incident()
    opened = loop.escalate(incident, key=uuid.uuid4().hex)
    with transaction(loop.connector.sessions) as session:
        number = session.get(Incident, incident).number
        case = session.scalars(select(SupportCase).where(SupportCase.number == opened["number"])).one()
        assert (case.incident_sys_id, case.incident_number) == (incident, number)
