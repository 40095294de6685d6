"""Fault tests: after each, every event of the case arrived exactly once and in order.

The cloud's outbox runs with short backoffs (see ``start_loop``); token lifespans are shortened by storing
them directly, below the minute the admin pages allow, so each test stays well under half a minute.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from m365bridge.cloud.cases.models import OutboxEvent
from m365bridge.cloud.integration import service as integration
from m365bridge.cloud.integration.service import RepositoryInput
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.users import repository as users
from m365bridge.connector.users import service as user_service
from m365bridge.demo.connector_setup import INTEGRATION_USER, REPOSITORY_ID
from m365bridge.shared.db import transaction
from m365bridge.shared.tokens import new_token
from tests.e2e.loop import Loop, eventually, write


def updates_in_work_notes(loop: Loop, incident: str, prefix: str) -> int:
    return sum(f"{prefix} " in note for note in loop.work_notes(incident))


def test_an_unreachable_connector_during_a_burst_gets_every_event_once_in_order(basic_loop: Loop) -> None:
    loop = basic_loop
    incident = loop.new_incident()
    case = loop.escalate(incident)
    loop.stop_connector()
    for n in range(20):
        loop.engineer_reply(case["caseId"], f"update {n}")
    loop.engineer_status(case["caseId"], "inProgress")
    loop.start_connector()
    loop.assert_exactly_once_in_order(case["caseId"])
    notes = loop.work_notes(incident)
    assert sum("update " in n for n in notes) == 20


def test_a_connector_killed_mid_delivery_and_restarted_gets_every_event_once_in_order(
    basic_loop: Loop,
) -> None:
    loop = basic_loop
    incident = loop.new_incident()
    case = loop.escalate(incident)
    case_id = case["caseId"]
    loop.stop_connector()
    loop.start_connector_process()

    for n in range(24):
        loop.engineer_reply(case_id, f"burst {n}")
    eventually(lambda: loop.applied_count(case_id) >= 4, 30, "the first events applied")
    loop.kill_connector_process()
    applied_at_kill = loop.applied_count(case_id)
    assert applied_at_kill < loop.sent_count(case_id), "the kill came after the whole burst"

    loop.start_connector_process()
    loop.assert_exactly_once_in_order(case_id)
    assert updates_in_work_notes(loop, incident, "burst") == 24


def test_access_tokens_expiring_mid_stream_lose_nothing(basic_loop: Loop) -> None:
    loop = basic_loop
    incident = loop.new_incident()
    case = loop.escalate(incident)
    loop.shorten_token_lifespans(access_seconds=2, refresh_seconds=600)
    issued_before, _ = loop.issued_tokens("access")

    for n in range(12):  # about 5 s: the access token expires twice or more
        loop.engineer_reply(case["caseId"], f"spread {n}")
        time.sleep(0.4)

    loop.assert_exactly_once_in_order(case["caseId"])
    assert updates_in_work_notes(loop, incident, "spread") == 12
    issued_after, _ = loop.issued_tokens("access")
    assert issued_after - issued_before >= 3, "the access token was not renewed mid-stream"


def test_refresh_tokens_expiring_mid_stream_fall_back_to_a_password_grant(basic_loop: Loop) -> None:
    loop = basic_loop
    incident = loop.new_incident()
    case = loop.escalate(incident)
    loop.shorten_token_lifespans(access_seconds=2, refresh_seconds=3)
    _, families_before = loop.issued_tokens("refresh")

    for wave in range(3):
        if wave:
            time.sleep(3.5)  # longer than the refresh token lives: the next wave needs a new login
        for n in range(3):
            loop.engineer_reply(case["caseId"], f"wave {wave}.{n}")
        eventually(lambda: loop.all_delivered(case["caseId"]), 20, f"wave {wave} delivered")

    loop.assert_exactly_once_in_order(case["caseId"])
    assert updates_in_work_notes(loop, incident, "wave") == 9
    _, families_after = loop.issued_tokens("refresh")
    assert families_after - families_before >= 3, "the cloud did not log in again with a password grant"


def test_rotated_credentials_hold_events_until_the_cloud_has_them_then_lose_nothing(
    basic_loop: Loop,
) -> None:
    loop = basic_loop
    incident = loop.new_incident()
    case = loop.escalate(incident)
    case_id = case["caseId"]
    loop.shorten_token_lifespans(access_seconds=2, refresh_seconds=600)
    loop.engineer_reply(case_id, "before 0")
    eventually(lambda: loop.all_delivered(case_id), 20, "the first event delivered")

    password = new_token(16)
    secret = write(loop.connector.sessions, lambda s: _rotate_on_the_connector(s, password))
    # Tokens issued before a rotation stay valid until they expire (as in ServiceNow); let the cloud's 2 s
    # access token lapse, so the next delivery must sign in again with the credentials it still holds.
    time.sleep(2.5)
    for n in range(6):
        loop.engineer_reply(case_id, f"after {n}")
    eventually(lambda: _waiting_on_authentication(loop, case_id), 20, "delivery refused the old credentials")
    assert not loop.all_delivered(case_id)

    write(loop.cloud.sessions, lambda s: _update_cloud_repository(s, loop, secret, password))
    loop.assert_exactly_once_in_order(case_id)
    assert updates_in_work_notes(loop, incident, "after") == 6


def _rotate_on_the_connector(session: Session, password: str) -> str:
    """The connector admin's rotation: a new integration-user password and a new OAuth client secret."""
    user = users.by_user_name(session, INTEGRATION_USER)
    assert user is not None
    user_service.set_password(session, user, password)
    (client,) = oauth_server.list_clients(session)
    return oauth_server.new_client_secret(session, client)


def _waiting_on_authentication(loop: Loop, case_id: str) -> bool:
    with transaction(loop.cloud.sessions) as session:
        errors = session.scalars(select(OutboxEvent.last_error).where(OutboxEvent.case_id == case_id)).all()
    return any(error and "authentication failed" in error for error in errors)


def _update_cloud_repository(session: Session, loop: Loop, secret: str, password: str) -> None:
    """What the tenant admin types on the cloud's Support integration page after the rotation."""
    tenant = loop.record.tenant["id"]
    current = integration.get_repository(session, tenant, REPOSITORY_ID)
    changed = RepositoryInput(
        REPOSITORY_ID,
        current.endpoint,
        current.auth_type,
        client_id=current.client_id,
        client_secret=secret,
        refresh_token_expiry=current.refresh_token_expiry,
        rest_username=current.rest_username,
        rest_password=password,
    )
    integration.update_repository(session, tenant, REPOSITORY_ID, changed, loop.cloud.secrets)
