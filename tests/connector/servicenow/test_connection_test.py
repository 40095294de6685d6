"""Test connection: four checks against the stand-in instance (and ``respx`` for what it cannot do: an
HTML page, a wrong clock, a name that does not resolve). Nothing on the instance changes."""

from __future__ import annotations

import datetime as dt
import email.utils

import httpx
import pytest
import respx
from sqlalchemy import func, select

from m365bridge.connector.incidents.models import Incident, JournalEntry
from m365bridge.connector.logs import system_log
from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.connector.servicenow import errors, service
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.connection_test import (
    CLOCK,
    CREDENTIALS,
    REACHABLE,
    ROLES,
    Outcome,
    run_checks,
)
from m365bridge.connector.servicenow.poll import poll_changes
from m365bridge.connector.servicenow.records import Watermark
from m365bridge.shared.db import transaction
from tests.connector.servicenow.conftest import READER, StandIn, connect
from tests.support.deferred_writes import recording_deferred_writes

FAKE = "https://dev12345.service-now.com"


def outcomes(results) -> dict[str, Outcome]:
    return {r.name: r.outcome for r in results}


def checks(bridge) -> list:
    client = service.open_client(bridge)
    try:
        return run_checks(bridge, client)
    finally:
        client.close()


def counts(stand_in: StandIn) -> tuple[int, int]:
    with transaction(stand_in.context.sessions) as session:
        return (
            session.scalar(select(func.count()).select_from(Incident)) or 0,
            session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
        )


def app_log(bridge) -> list[str]:
    with transaction(bridge.sessions) as session:
        return [line.message for line in system_log.search(session, source=system_log.APP_SOURCE)]


@pytest.mark.parametrize("auth_type", [AuthType.BASIC, AuthType.PASSWORD])
def test_a_well_configured_account_passes_all_four_checks_and_changes_nothing(bridge, stand_in, auth_type):
    connect(bridge, stand_in, auth_type)
    before = counts(stand_in)

    results = checks(bridge)

    assert outcomes(results) == {n: Outcome.PASSED for n in (REACHABLE, CREDENTIALS, ROLES, CLOCK)}
    assert "itil" in results[2].message
    assert counts(stand_in) == before
    with transaction(bridge.sessions) as session:
        calls = {
            (r.method, r.url.split("?")[0].removeprefix(stand_in.url))
            for r in session.scalars(select(OutboundHttpRequest))
        }
    assert {method for method, _ in calls if _ != "/oauth_token.do"} == {"GET"}


def test_an_account_without_a_work_note_role_fails_the_roles_check_and_logs_it(bridge, stand_in):
    connect(bridge, stand_in, AuthType.BASIC, user=READER)

    with recording_deferred_writes() as breaches:
        results = checks(bridge)

    assert breaches == []
    assert outcomes(results)[ROLES] is Outcome.FAILED
    assert "x_mioms_m365_assis.insights_user" in results[2].message and "Grant" in results[2].message
    assert any("Test connection" in line and "itil" in line for line in app_log(bridge))


def test_a_wrong_password_fails_the_credentials_check(bridge, stand_in):
    connect(bridge, stand_in, AuthType.BASIC)
    with transaction(bridge.sessions, write=True) as session:
        service.get_connection(session).password = bridge.secrets.encrypt("not-the-password")

    results = checks(bridge)

    assert outcomes(results) == {
        REACHABLE: Outcome.PASSED,
        CREDENTIALS: Outcome.FAILED,
        ROLES: Outcome.SKIPPED,
        CLOCK: Outcome.PASSED,
    }
    assert "401" in results[1].message and "not-the-password" not in " ".join(app_log(bridge))


def test_a_refused_password_grant_fails_the_credentials_check(bridge, stand_in):
    connect(bridge, stand_in, AuthType.PASSWORD)
    with transaction(bridge.sessions, write=True) as session:
        service.get_connection(session).client_secret = bridge.secrets.encrypt("wrong-secret")

    results = checks(bridge)

    assert outcomes(results)[CREDENTIALS] is Outcome.FAILED and "grant" in results[1].message


def configure_fake(bridge) -> None:
    wanted = service.ConnectionSettings(
        url=FAKE, auth_type=AuthType.BASIC, user_name="svc", password="pw-123456789"
    )
    with transaction(bridge.sessions, write=True) as session:
        service.configure(session, bridge.secrets, wanted, allow_loopback_http=False)


def http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


@respx.mock
def test_a_hibernating_instance_fails_the_first_check_with_what_to_do(bridge):
    configure_fake(bridge)
    page = "<html><body>Your instance is hibernating</body></html>"
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        return_value=httpx.Response(
            200, text=page, headers={"Content-Type": "text/html", "Date": http_date(dt.datetime.now(dt.UTC))}
        )
    )

    results = checks(bridge)

    assert outcomes(results) == {
        REACHABLE: Outcome.FAILED,
        CREDENTIALS: Outcome.SKIPPED,
        ROLES: Outcome.SKIPPED,
        CLOCK: Outcome.PASSED,
    }
    assert "web page" in results[0].message and "developer.servicenow.com" in results[0].message
    assert any("hibernating developer instance" in line for line in app_log(bridge))


@respx.mock
def test_an_unknown_host_fails_the_first_check(bridge):
    configure_fake(bridge)
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        side_effect=httpx.ConnectError("[Errno -2] Name or service not known")
    )

    results = checks(bridge)

    assert outcomes(results)[REACHABLE] is Outcome.FAILED and "does not resolve" in results[0].message
    assert outcomes(results)[CLOCK] is Outcome.SKIPPED


@respx.mock
def test_a_clock_ten_minutes_off_fails_the_clock_check(bridge):
    configure_fake(bridge)
    late = http_date(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    unauthenticated = httpx.Response(
        401,
        json={
            "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
            "status": "failure",
        },
        headers={"Date": late},
    )
    respx.get(
        f"{FAKE}/api/now/table/incident",
        headers__contains={"Authorization": "Basic c3ZjOnB3LTEyMzQ1Njc4OQ=="},
    ).mock(return_value=httpx.Response(200, json={"result": []}, headers={"Date": late}))
    respx.get(f"{FAKE}/api/now/table/incident").mock(return_value=unauthenticated)
    respx.get(f"{FAKE}/api/now/table/sys_journal_field").mock(
        return_value=httpx.Response(200, json={"result": []}, headers={"Date": late})
    )
    respx.get(f"{FAKE}/api/now/table/sys_user_has_role").mock(
        return_value=httpx.Response(
            200,
            json={"result": [{"role": {"display_value": "itil", "link": f"{FAKE}/x"}}]},
            headers={"Date": late},
        )
    )

    results = checks(bridge)

    assert outcomes(results) == {
        REACHABLE: Outcome.PASSED,
        CREDENTIALS: Outcome.PASSED,
        ROLES: Outcome.PASSED,
        CLOCK: Outcome.FAILED,
    }
    assert "behind" in results[3].message and "NTP" in results[3].message
    assert any("clock" in line for line in app_log(bridge))


@respx.mock
def test_a_poll_refused_by_an_acl_logs_why_and_keeps_the_watermark(bridge):
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
        poll_changes(bridge, client, lambda page: None)
    client.close()

    assert any("polling incidents failed" in line and "ACL restricts" in line for line in app_log(bridge))
    with transaction(bridge.sessions) as session:
        assert service.watermark(session) == Watermark()
