"""Rows 6-8, 13, 15, 16: Contact Microsoft support misconfigured for real on the demo's Basic-mode pair.

One pair of running apps for the module (starting one takes seconds); each test restores what it broke.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.cloud.directory import service as directory
from m365bridge.connector.cases.service import NOT_AN_ADMIN, TICKET_NOT_SAVED
from m365bridge.connector.incidents import service as incidents
from m365bridge.connector.setup.gate import SETUP_INCOMPLETE, SETUP_NOT_CONFIRMED
from m365bridge.connector.setup.models import SetupState
from m365bridge.connector.setup.modes import LAST_STEP
from m365bridge.connector.troubleshooting.report import DoctorReport
from m365bridge.connector.troubleshooting.service import run_doctor
from m365bridge.shared.db import transaction
from m365bridge.shared.tls import ServerCertificate
from tests.connector.troubleshooting.conftest import evidence_text, failure_for
from tests.e2e.loop import API, Loop, start_loop, write

CASE = {
    "title": "Teams calls drop",
    "description": "Calls drop after a minute.",
    "contact": {"name": "Ada", "email": "ada@contoso.com", "phone": ""},
    "preferredContactMethod": "email",
}


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, tls: ServerCertificate) -> Iterator[Loop]:
    running = start_loop("basic", tmp_path_factory.mktemp("loop"), tls)
    yield running
    running.close()


def contact_support(loop: Loop, incident: str) -> Any:
    with loop.agent() as agent:
        return agent.post(f"{API}/incidents/{incident}/cases", json=CASE)


def doctor(loop: Loop) -> DoctorReport:
    return run_doctor(loop.connector)


def _setup(session: Session) -> SetupState:
    return session.scalars(select(SetupState)).one()


@pytest.mark.parametrize(
    ("change", "message", "row"),
    [({"next_step": 2}, SETUP_INCOMPLETE, 6), ({"confirmed": False}, SETUP_NOT_CONFIRMED, 7)],
    ids=["row_6", "row_7"],
)
def test_rows_6_and_7_contact_support_before_setup_is_done(
    loop: Loop, change: dict[str, Any], message: str, row: int
) -> None:
    incident = loop.new_incident()
    before = write(loop.connector.sessions, lambda s: {k: getattr(_setup(s), k) for k in change})
    write(loop.connector.sessions, lambda s: [setattr(_setup(s), k, v) for k, v in change.items()])
    try:
        answer = contact_support(loop, incident)
        report = doctor(loop)
    finally:
        write(loop.connector.sessions, lambda s: [setattr(_setup(s), k, v) for k, v in before.items()])
    assert answer.status_code == 409 and answer.json()["error"]["detail"] == message
    failure = failure_for(report, row)
    assert failure.row.message == message and message in evidence_text(failure)
    assert before.get("next_step", LAST_STEP) >= LAST_STEP


def test_row_8_the_admin_email_is_not_a_tenant_admin(loop: Loop) -> None:
    admin = loop.record.users["tenant_admin"]["user_name"]
    incident = loop.new_incident()
    write(loop.cloud.sessions, lambda s: directory.set_active(s, admin, False))
    try:
        answer = contact_support(loop, incident)
        report = doctor(loop)
    finally:
        write(loop.cloud.sessions, lambda s: directory.set_active(s, admin, True))
    assert answer.status_code == 403
    assert answer.json()["error"]["detail"] == NOT_AN_ADMIN.format(email=admin)
    failure = failure_for(report, 8)
    assert admin in failure.finding and "escalation" in failure.finding
    assert "/v1/cases → 403" in evidence_text(failure)
    assert 8 not in doctor(loop).failing_rows  # the admin is active again: the check passes


def test_row_13_contact_support_never_reaches_the_service(loop: Loop) -> None:
    incident = loop.new_incident()
    dead = "https://localhost:9/support"

    def point(url: str) -> Any:
        return write(loop.connector.sessions, lambda s: _swap_support_url(s, url))

    support_url = point(dead)
    try:
        answer = contact_support(loop, incident)
        report = doctor(loop)
    finally:
        point(support_url)
    assert answer.status_code == 503
    with loop.agent() as agent:
        assert agent.get(f"{API}/incidents/{incident}/cases").json()["result"] == []
    failure = failure_for(report, 13)
    assert f"POST {dead}/v1/cases → no answer" in evidence_text(failure)


def _swap_support_url(session: Session, url: str) -> str:
    state = _setup(session)
    previous, state.support_url = state.support_url, url
    return previous


def test_row_15_a_recreated_incident_no_longer_shows_its_case(loop: Loop) -> None:
    old = loop.new_incident("Case lost after re-creating the incident")
    case = loop.escalate(old)
    # A writer from its first statement: the cloud is delivering the new case's events to this connector
    # meanwhile, and a read that turns into a write would fail on SQLite ("database is locked").
    with transaction(loop.connector.sessions, write=True) as session:
        incidents.delete_incident(session, incidents.get_incident(session, old))
    new = loop.new_incident("Case lost after re-creating the incident")
    with loop.agent() as agent:
        assert agent.get(f"{API}/incidents/{new}/cases").json()["result"] == []
    failure = failure_for(doctor(loop), 15)
    assert f"case {case['number']}" in evidence_text(failure) and old in evidence_text(failure)


def test_row_16_ticket_details_cannot_be_saved(loop: Loop) -> None:
    case = loop.escalate(loop.new_incident())
    phone_without_number = {
        "name": "Ada",
        "email": "ada@contoso.com",
        "phone": "",
        "preferredContactMethod": "phone",
    }
    with loop.agent() as agent:
        answer = agent.patch(f"{API}/cases/{case['sys_id']}/contact", json=phone_without_number)
    assert answer.json()["error"]["detail"] == TICKET_NOT_SAVED
    failure = failure_for(doctor(loop), 16)
    assert failure.row.message == TICKET_NOT_SAVED and TICKET_NOT_SAVED in evidence_text(failure)
