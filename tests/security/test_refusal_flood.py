"""A flood of anonymous refusals writes a bounded number of system-log lines with bounded fields (issue 15
item 7), while the first refusals are logged one by one as before."""

from __future__ import annotations

import json

from m365bridge.connector.logs import system_log
from m365bridge.connector.logs.refusals import LINES_PER_MINUTE, MAX_PATH, MAX_REASON, MAX_VALUE, PREFIX
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import basic

LONG_PATH = "/api/now/table/incident/" + "p" * 20_000
LONG_USER = "u" * 20_000
FLOOD = 3 * LINES_PER_MINUTE


def refusal_lines(context):
    with transaction(context.sessions) as session:
        return [line for line in system_log.search(session, text=PREFIX, limit=10_000)]


def test_a_flood_of_anonymous_refusals_writes_a_bounded_number_of_short_lines(
    connector_context, connector_client
):
    for attempt in range(FLOOD):
        headers = basic(LONG_USER, "guess") if attempt % 2 else {}
        assert connector_client.get(LONG_PATH, headers=headers).status_code in (401, 429)

    lines = refusal_lines(connector_context)

    assert len(lines) == LINES_PER_MINUTE + 1
    [summary] = [line for line in lines if "refusals" in (line.context or {})]
    assert summary.context["refusals"] == FLOOD - LINES_PER_MINUTE
    assert f"stands for {FLOOD - LINES_PER_MINUTE} more refusals from testclient" in summary.message
    for line in lines:
        assert len(line.message) <= len(PREFIX) + MAX_REASON + 120
        assert len(line.context["path"]) <= MAX_PATH
        assert len(line.context.get("user", "")) <= MAX_VALUE
        assert len(json.dumps(line.context)) < 1_000


def test_the_first_refusal_is_logged_with_its_reason_and_a_cut_path(connector_context, connector_client):
    response = connector_client.get(LONG_PATH, headers=basic(LONG_USER, "guess"))

    [line] = refusal_lines(connector_context)
    assert response.status_code == 401
    assert line.message == f"{PREFIX}Basic auth: bad credentials"
    assert line.context["path"].startswith("/api/now/table/incident/ppp")
    assert line.context["path"].endswith("…")
    assert line.context["user"] == "u" * (MAX_VALUE - 1) + "…"
    assert line.context["address"] == "testclient"
    assert "refusals" not in line.context
