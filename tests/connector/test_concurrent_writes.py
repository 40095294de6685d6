"""Requests that read and then write succeed while another connection keeps committing (SQLite)."""

from __future__ import annotations

import pytest

from m365bridge.connector.users.roles import ITIL
from tests.connector.auth.helpers import basic, make_user
from tests.connector.incidents.helpers import make_incident
from tests.support.writers import commits, committing_in_a_loop

ROUNDS = 25  # each request verifies an argon2 password (~0.2 s); the first few rounds fail without the fix


@pytest.mark.sqlite
def test_table_api_updates_never_fail_with_database_is_locked(connector_context, connector_client):
    make_user(connector_context, "beth.anglin", [ITIL])
    sys_id, _ = make_incident(connector_context)
    headers = basic("beth.anglin")  # Basic auth itself reads the user, then clears its failed logins
    failures = []
    with committing_in_a_loop(connector_context.sessions):
        before = commits(connector_context.engine)
        for n in range(ROUNDS):
            response = connector_client.patch(
                f"/api/now/table/incident/{sys_id}",
                json={"short_description": f"Mail is slow ({n})"},
                headers=headers,
            )
            if response.status_code != 200:
                failures.append((n, response.status_code, response.text[:200]))
        assert commits(connector_context.engine) > before, "the writer did not commit meanwhile"
    assert failures == []
