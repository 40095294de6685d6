"""Requests that read and then write succeed while another connection keeps committing (SQLite)."""

from __future__ import annotations

import pytest

from tests.cloud.people import TENANT, add_admin
from tests.support.writers import commits, committing_in_a_loop

ROUNDS = 25  # each request verifies an argon2 password (~0.2 s); the first few rounds fail without the fix
INTEGRATION = f"/support/v1/tenants/{TENANT}/integration"


@pytest.mark.sqlite
def test_integration_settings_saves_never_fail_with_database_is_locked(cloud_context, cloud_client):
    cloud_client.auth = add_admin(cloud_context)
    failures = []
    with committing_in_a_loop(cloud_context.sessions):
        before = commits(cloud_context.engine)
        for n in range(ROUNDS):
            body = {"supportTool": "ServiceNow", "applicationId": f"outbound-app-{n}"}
            response = cloud_client.put(INTEGRATION, json=body)
            if response.status_code != 200:
                failures.append((n, response.status_code, response.text[:200]))
        assert commits(cloud_context.engine) > before, "the writer did not commit meanwhile"
    assert failures == []
