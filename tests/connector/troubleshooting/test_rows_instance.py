"""Doctor rows 17-24: every failure of a customer's ServiceNow instance, made for real against the stand-in
instance (or ``respx`` for what it cannot do: an unknown host, an HTML page, an ACL, a wrong clock), each
with the outbound HTTP log's call as evidence and never a secret."""

from __future__ import annotations

import datetime as dt
import email.utils
from html import unescape

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from m365bridge.connector.app import create_app
from m365bridge.connector.logs.models import OutboundHttpRequest
from m365bridge.connector.servicedesk import outbox
from m365bridge.connector.servicedesk.port import DeskError, IncidentRef, NewIncident, WorkNote
from m365bridge.connector.servicenow import errors, service
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.connection_test import run_checks
from m365bridge.connector.servicenow.poll import poll_changes
from m365bridge.connector.troubleshooting.report import DoctorReport, Failure
from m365bridge.connector.troubleshooting.service import run_doctor
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import login, make_user
from tests.connector.servicenow.conftest import (  # noqa: F401 (fixtures)
    INTEGRATION,
    PASSWORD,
    READER,
    bridge,
    connect,
    stand_in,
)

FAKE = "https://dev12345.service-now.com"
FAKE_PASSWORD = "pw-123456789"
INSTANCE_ROWS = set(range(17, 25))


def configure_fake(bridge) -> None:  # noqa: F811
    wanted = service.ConnectionSettings(
        url=FAKE, auth_type=AuthType.BASIC, user_name="svc", password=FAKE_PASSWORD
    )
    with transaction(bridge.sessions, write=True) as session:
        service.configure(session, bridge.secrets, wanted, allow_loopback_http=False)


def run_test_connection(bridge) -> None:  # noqa: F811
    client = service.open_client(bridge)
    try:
        run_checks(bridge, client)
    finally:
        client.close()


def instance_failures(report: DoctorReport, row: int) -> list[Failure]:
    return [failure for failure in report.failures if failure.rows == (row,)]


def the_failure(report: DoctorReport, row: int, *, live: bool = False) -> Failure:
    found = [f for f in instance_failures(report, row) if f.finding.startswith("Live:") == live]
    assert found, f"row {row} (live={live}) not reported; failing rows {report.failing_rows}"
    return found[0]


def shown(failure: Failure) -> str:
    return "\n".join(failure.evidence)


def http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


def test_without_an_instance_the_doctor_has_no_instance_rows(bridge):  # noqa: F811
    report = run_doctor(bridge, live_checks=False)

    assert not report.instance
    assert not {row for result in report.results for row in result.rows} & INSTANCE_ROWS


@pytest.mark.parametrize("auth_type", [AuthType.BASIC, AuthType.PASSWORD])
def test_a_working_instance_passes_every_instance_check(bridge, stand_in, auth_type):  # noqa: F811
    connect(bridge, stand_in, auth_type)
    run_test_connection(bridge)

    report = run_doctor(bridge)

    instance = [r for r in report.results if set(r.rows) & INSTANCE_ROWS]
    assert report.instance and len(instance) == 4
    assert all(result.passed and not result.skipped for result in instance), instance


@respx.mock
def test_row_17_an_unknown_host_with_the_unanswered_call_as_evidence(bridge):  # noqa: F811
    configure_fake(bridge)
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        side_effect=httpx.ConnectError("[Errno -2] Name or service not known")
    )
    run_test_connection(bridge)

    report = run_doctor(bridge)

    logged, live = the_failure(report, 17), the_failure(report, 17, live=True)
    assert "does not resolve" in logged.finding and "does not resolve" in live.finding
    assert f"GET {FAKE}/api/now/table/incident" in shown(logged) and "→ no answer" in shown(logged)
    assert "→ no answer" in shown(live)
    assert "DNS" in logged.row.fix


@respx.mock
def test_row_18_a_hibernating_instance_answers_html(bridge):  # noqa: F811
    configure_fake(bridge)
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        return_value=httpx.Response(
            200,
            text="<html><body>Your instance is hibernating</body></html>",
            headers={"Content-Type": "text/html"},
        )
    )
    run_test_connection(bridge)

    report = run_doctor(bridge)

    logged, live = the_failure(report, 18), the_failure(report, 18, live=True)
    assert "web page" in logged.finding and "web page" in live.finding
    assert "/api/now/table/incident" in shown(logged) and "→ 200" in shown(logged)
    assert "developer.servicenow.com" in logged.row.fix


def test_row_19_a_wrong_password_shows_the_401_and_never_the_password(bridge, stand_in):  # noqa: F811
    connect(bridge, stand_in, AuthType.BASIC)
    with transaction(bridge.sessions, write=True) as session:
        service.get_connection(session).password = bridge.secrets.encrypt("not-the-password")
    run_test_connection(bridge)

    report = run_doctor(bridge)

    logged, live = the_failure(report, 19), the_failure(report, 19, live=True)
    assert "401" in logged.finding and "401" in live.finding
    assert f"{stand_in.url}/api/now/table/incident" in shown(logged) and "→ 401" in shown(logged)
    text = " ".join(f.finding + shown(f) for f in report.failures)
    assert "not-the-password" not in text and PASSWORD not in text


def test_row_19_a_refused_password_grant_shows_the_token_call(bridge, stand_in):  # noqa: F811
    connect(bridge, stand_in, AuthType.PASSWORD)
    with transaction(bridge.sessions, write=True) as session:
        service.get_connection(session).client_secret = bridge.secrets.encrypt("wrong-secret")
    run_test_connection(bridge)

    failure = the_failure(run_doctor(bridge, live_checks=False), 19)

    assert "/oauth_token.do" in shown(failure) and "wrong-secret" not in shown(failure)


def test_a_failure_fixed_since_is_no_longer_reported(bridge, stand_in):  # noqa: F811
    connect(bridge, stand_in, AuthType.BASIC)
    with transaction(bridge.sessions, write=True) as session:
        service.get_connection(session).password = bridge.secrets.encrypt("not-the-password")
    run_test_connection(bridge)
    assert instance_failures(run_doctor(bridge, live_checks=False), 19)

    connect(bridge, stand_in, AuthType.BASIC)  # the right password again
    run_test_connection(bridge)

    assert run_doctor(bridge, live_checks=False).passed is False  # the setup rows still fail …
    assert not instance_failures(run_doctor(bridge), 19)  # … but not the instance's


@respx.mock
def test_row_20_an_acl_refusing_the_poll(bridge):  # noqa: F811
    configure_fake(bridge)
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        return_value=httpx.Response(
            403,
            json={
                "error": {"message": "User Not Authorized", "detail": "ACL restricts the record retrieval"},
                "status": "failure",
            },
        )
    )
    client = service.open_client(bridge)
    with pytest.raises(errors.Forbidden):
        poll_changes(bridge, client, lambda incident: None)
    client.close()

    failure = the_failure(run_doctor(bridge, live_checks=False), 20)

    assert "ACL restricts" in failure.finding
    assert "→ 403" in shown(failure) and "sys_updated_on" in shown(failure)
    assert "ACL" in failure.row.cause


def test_row_21_an_account_without_a_work_note_role(bridge, stand_in):  # noqa: F811
    connect(bridge, stand_in, AuthType.BASIC, user=READER)
    run_test_connection(bridge)

    report = run_doctor(bridge)

    logged, live = the_failure(report, 21), the_failure(report, 21, live=True)
    assert "itil" in logged.finding and "insights_user" in live.finding
    assert "sys_user_has_role" in shown(logged)
    assert "itil" in logged.row.fix


@respx.mock
def test_row_22_a_clock_ten_minutes_behind(bridge):  # noqa: F811
    configure_fake(bridge)
    late = {"Date": http_date(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))}
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        return_value=httpx.Response(200, json={"result": []}, headers=late)
    )
    respx.get(f"{FAKE}/api/now/table/sys_journal_field").mock(
        return_value=httpx.Response(200, json={"result": []}, headers=late)
    )
    respx.get(f"{FAKE}/api/now/table/sys_user_has_role").mock(
        return_value=httpx.Response(
            200, json={"result": [{"role": {"display_value": "itil", "link": f"{FAKE}/x"}}]}, headers=late
        )
    )
    run_test_connection(bridge)

    report = run_doctor(bridge)

    logged, live = the_failure(report, 22), the_failure(report, 22, live=True)
    assert "behind" in logged.finding and "behind" in live.finding and "(more than 60 s)" in live.finding
    assert FAKE in shown(logged)
    assert "NTP" in logged.row.fix


@respx.mock
def test_row_23_a_poll_failing_for_more_than_15_minutes(bridge):  # noqa: F811
    configure_fake(bridge)
    respx.get(f"{FAKE}/api/now/table/incident").mock(return_value=httpx.Response(401, json={}))
    for _ in range(3):
        client = service.open_client(bridge)
        with pytest.raises(errors.Unauthorized):
            poll_changes(bridge, client, lambda incident: None)
        client.close()
    assert not instance_failures(run_doctor(bridge, live_checks=False), 23)  # failing, but only just

    with transaction(bridge.sessions, write=True) as session:  # twenty minutes pass
        for call in session.scalars(select(OutboundHttpRequest)):
            call.created_at -= dt.timedelta(minutes=20)

    failure = the_failure(run_doctor(bridge, live_checks=False), 23)
    assert "more than 15 minutes" in failure.finding and "3 failed calls" in failure.finding
    assert len(failure.evidence) == 3 and all("→ 401" in line for line in failure.evidence)


class InstanceDesk:
    """The writes of ``outbox.deliver_due`` made with the instance client (the adapter's desk does the
    same); a refusal is a ``DeskError``, as the port asks."""

    def __init__(self, bridge) -> None:  # noqa: F811
        self.client = service.open_client(bridge)

    def add_work_note(self, note: WorkNote) -> None:
        try:
            self.client.add_work_note(note.incident_sys_id, note.text)
        except errors.ServiceNowError as error:
            raise DeskError(str(error)) from error

    def has_work_note(self, incident_sys_id: str, key: str) -> bool:
        return False

    def create_incident(self, new: NewIncident) -> IncidentRef:
        raise DeskError("not used here")

    def find_by_correlation(self, correlation_id: str) -> IncidentRef | None:
        return None

    def resolve_incident(self, sys_id: str, close_code: str, close_notes: str) -> None:
        raise DeskError("not used here")


def test_row_24_writes_the_instance_refuses_stay_undelivered(bridge, stand_in):  # noqa: F811
    connect(bridge, stand_in, AuthType.BASIC)
    missing = "0" * 32
    with transaction(bridge.sessions, write=True) as session:
        outbox.enqueue_work_notes(
            session.connection(), [WorkNote(missing, "Matched EX123456", "m365bridge", "note-1")]
        )
    desk = InstanceDesk(bridge)
    try:
        assert outbox.deliver_due(bridge.sessions, desk).failed == 1
    finally:
        desk.client.close()

    failure = the_failure(run_doctor(bridge, live_checks=False), 24)

    assert "1 write(s)" in failure.finding and missing in failure.finding
    assert f"PATCH {stand_in.url}/api/now/table/incident/{missing}" in shown(failure)
    assert "→ 404" in shown(failure)


def test_the_troubleshooting_page_shows_the_instance_row_and_table(bridge, stand_in):  # noqa: F811
    connect(bridge, stand_in, AuthType.BASIC)
    with transaction(bridge.sessions, write=True) as session:
        service.get_connection(session).password = bridge.secrets.encrypt("not-the-password")
    run_test_connection(bridge)
    make_user(bridge, "doctor-admin", ["admin"])

    with TestClient(create_app(context=bridge)) as client:
        login(client, "doctor-admin")
        page = unescape(client.get("/m365/troubleshooting", params={"offline": "true"}).text)

    assert "Troubleshooting row #19" in page and "→ 401" in page
    assert "The whole troubleshooting table (24 rows)" in page
    assert "not-the-password" not in page
