from __future__ import annotations

import datetime as dt

import httpx
import pytest
import respx
from sqlalchemy import select

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.http import outbound_client
from m365bridge.connector.logs import http_log
from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow


def rows(context: ConnectorContext) -> list[OutboundHttpRequest]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(OutboundHttpRequest).order_by(OutboundHttpRequest.id)))


@respx.mock
def test_secret_query_values_are_redacted(connector_context: ConnectorContext) -> None:
    respx.get("https://api.example.test/cb").mock(return_value=httpx.Response(204))
    with outbound_client(connector_context, name="test") as client:
        client.get(
            "https://api.example.test/cb",
            params={"code": "abc123", "client_secret": "hunter2", "state": "visible", "Password": "pw"},
        )
    [row] = rows(connector_context)
    assert "abc123" not in row.url and "hunter2" not in row.url and "pw" not in row.url.split("?")[1]
    assert "state=visible" in row.url and "code=REDACTED" in row.url
    assert (row.method, row.host, row.status, row.source) == ("GET", "api.example.test", 204, "test")
    assert row.duration_ms >= 0


def test_userinfo_password_is_redacted() -> None:
    assert http_log.redact_url("https://bob:pw@h.test/x") == "https://bob:REDACTED@h.test/x"


@respx.mock
def test_failed_connections_are_logged_with_their_error(connector_context: ConnectorContext) -> None:
    respx.get("https://down.example.test/").mock(side_effect=httpx.ConnectError("connection refused"))
    with outbound_client(connector_context, name="test") as client, pytest.raises(httpx.ConnectError):
        client.get("https://down.example.test/")
    [row] = rows(connector_context)
    assert row.status is None and row.error is not None and "ConnectError" in row.error


def test_purge_removes_only_rows_older_than_the_retention(connector_context: ConnectorContext) -> None:
    now = utcnow()
    with transaction(connector_context.sessions) as session:
        for age in (1, 40):
            row = http_log.record(
                session, source="t", method="GET", url=f"https://h.test/{age}", status=200, duration_ms=1
            )
            row.created_at = now - dt.timedelta(days=age)
    with transaction(connector_context.sessions) as session:
        assert http_log.purge(session, retention_days=30, now=now) == 1
    assert [r.url for r in rows(connector_context)] == ["https://h.test/1"]


def test_search_filters_by_host_and_time(connector_context: ConnectorContext) -> None:
    now = utcnow()
    with transaction(connector_context.sessions) as session:
        for host, age in (("a.test", 1), ("b.test", 1), ("a.test", 48)):
            row = http_log.record(
                session, source="t", method="GET", url=f"https://{host}/", status=200, duration_ms=1
            )
            row.created_at = now - dt.timedelta(hours=age)
    with transaction(connector_context.sessions) as session:
        found = http_log.search(session, host="a.test", since=now - dt.timedelta(hours=2))
        assert [(r.host, r.created_at > now - dt.timedelta(hours=2)) for r in found] == [("a.test", True)]
