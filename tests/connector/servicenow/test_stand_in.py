"""The instance client against the stand-in instance over https, for Basic and the password grant."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Sequence

import httpx
import pytest
from sqlalchemy import select, update

from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.connector.servicenow import service
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.poll import poll_changes
from m365bridge.connector.servicenow.records import InstanceIncident, Watermark
from m365bridge.shared.db import transaction
from tests.connector.servicenow.conftest import INTEGRATION, PASSWORD, StandIn, connect
from tests.support.deferred_writes import recording_deferred_writes

AUTH_TYPES = [AuthType.BASIC, AuthType.PASSWORD]
SECOND = dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.UTC)


def make_incidents(stand_in: StandIn, count: int, *, seconds: int = 1) -> list[str]:
    """Incidents created through the stand-in's Table API, then given update times spread over ``seconds``
    seconds, sub-second apart and in an order unrelated to their sys_ids, so that many share one
    ``sys_updated_on`` as ServiceNow shows it."""
    with httpx.Client(
        base_url=stand_in.url,
        auth=(INTEGRATION, PASSWORD),
        verify=ssl.create_default_context(cafile=str(stand_in.ca)),
    ) as http:
        ids = []
        for n in range(count):
            created = http.post(
                "/api/now/table/incident", json={"short_description": f"Teams call drops {n}"}
            )
            ids.append(created.json()["result"]["sys_id"])
    with transaction(stand_in.context.sessions, write=True) as session:
        for n, sys_id in enumerate(ids):
            when = SECOND + dt.timedelta(seconds=n % seconds, microseconds=(count - n) * 1000)
            session.execute(update(Incident).where(Incident.sys_id == sys_id).values(sys_updated_on=when))
    return ids


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_list_changed_pages_through_equal_timestamps_without_skip_or_repeat(bridge, stand_in, auth_type):
    ids = make_incidents(stand_in, 7)
    connect(bridge, stand_in, auth_type)
    handled: list[str] = []
    client = service.open_client(bridge)
    try:
        with recording_deferred_writes() as breaches:
            result = poll_changes(
                bridge, client, lambda page: handled.extend(i.sys_id for i in page), page_size=3
            )
    finally:
        client.close()

    assert breaches == []  # the watermark (and, for OAuth, the tokens) are written by writer units
    assert sorted(handled) == sorted(ids) and len(handled) == len(set(handled))
    assert result.complete
    with transaction(bridge.sessions) as session:
        assert service.watermark(session) == Watermark("2026-12-01 10:00:00", frozenset(ids))


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_a_work_note_written_is_read_back_from_the_journal(bridge, stand_in, auth_type):
    [sys_id] = make_incidents(stand_in, 1)
    connect(bridge, stand_in, auth_type)
    client = service.open_client(bridge)
    try:
        client.add_work_note(sys_id, "Matched Microsoft 365 issue EX123456 [m365bridge:note-1]")
        notes = client.work_notes(sys_id)
    finally:
        client.close()

    assert [n.value for n in notes] == ["Matched Microsoft 365 issue EX123456 [m365bridge:note-1]"]
    assert notes[0].element_id == sys_id and notes[0].sys_created_by == INTEGRATION


def test_create_find_by_correlation_and_resolve(bridge, stand_in):
    connect(bridge, stand_in, AuthType.PASSWORD)
    client = service.open_client(bridge)
    try:
        created = client.create_incident(
            {"short_description": "Exchange Online degraded"},
            correlation_id="m365:EX1",
            correlation_display="EX1",
        )
        found = client.find_by_correlation("m365:EX1")
        resolved = client.resolve(
            created.sys_id, close_code="Closed/Resolved by Caller", close_notes="Resolved by Microsoft"
        )
    finally:
        client.close()

    assert found is not None and found.sys_id == created.sys_id
    assert (resolved.state, resolved.state_label, resolved.close_code) == (
        "6",
        "Resolved",
        "Closed/Resolved by Caller",
    )


def test_every_call_reaches_the_outbound_http_log(bridge, stand_in):
    [sys_id] = make_incidents(stand_in, 1)
    connect(bridge, stand_in, AuthType.PASSWORD)
    client = service.open_client(bridge)
    try:
        client.get_incident(sys_id)
    finally:
        client.close()

    with transaction(bridge.sessions) as session:
        rows = session.scalars(
            select(OutboundHttpRequest).where(OutboundHttpRequest.source == service.LOG_SOURCE)
        ).all()
    assert [(r.method, r.status) for r in rows] == [("POST", 200), ("GET", 200)]
    assert rows[0].url.endswith("/oauth_token.do") and PASSWORD not in " ".join(r.url for r in rows)


def test_the_rotated_refresh_token_is_stored_encrypted_and_used_by_the_next_client(bridge, stand_in):
    [sys_id] = make_incidents(stand_in, 1)
    connect(bridge, stand_in, AuthType.PASSWORD)
    first = service.open_client(bridge)
    first.get_incident(sys_id)
    first.close()
    with transaction(bridge.sessions) as session:
        stored = service.get_connection(session)
        tokens = service.stored_tokens(stored, bridge.secrets)
        raw_refresh = stored.refresh_token
    assert tokens is not None and tokens.refresh_token and raw_refresh != tokens.refresh_token
    with transaction(bridge.sessions, write=True) as session:
        service.get_connection(session).access_expires_at = SECOND  # long expired: the next call refreshes

    second = service.open_client(bridge)
    second.get_incident(sys_id)
    second.close()

    with transaction(bridge.sessions) as session:
        rotated = service.stored_tokens(service.get_connection(session), bridge.secrets)
    assert rotated is not None and rotated.refresh_token != tokens.refresh_token


class Crash(Exception):
    """Stands for the process dying while it handles an incident."""


def test_a_poll_cut_in_the_middle_resumes_with_no_gap_and_no_repeat(bridge, stand_in):
    ids = make_incidents(stand_in, 10, seconds=3)
    connect(bridge, stand_in, AuthType.BASIC)
    handled: list[str] = []

    def dies_on_the_fifth(page: Sequence[InstanceIncident]) -> None:
        if len(handled) == 4:
            raise Crash
        handled.extend(incident.sys_id for incident in page)

    client = service.open_client(bridge)
    with pytest.raises(Crash):
        poll_changes(bridge, client, dies_on_the_fifth, page_size=2)
    client.close()
    assert len(handled) == 4  # two whole pages, each followed by its stored watermark

    restarted = service.open_client(bridge)  # a new poller: it knows only the stored watermark
    try:
        poll_changes(bridge, restarted, lambda page: handled.extend(i.sys_id for i in page), page_size=2)
    finally:
        restarted.close()

    assert sorted(handled) == sorted(ids) and len(handled) == len(set(handled))
