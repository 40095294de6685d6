"""``GET /api/now/table/sys_user_has_role``: a caller reads its own role grants, as on ServiceNow."""

from __future__ import annotations

import pytest

from m365bridge.connector.users.roles import INSIGHTS_USER, ITIL
from tests.connector.auth.helpers import basic, make_user

PATH = "/api/now/table/sys_user_has_role"
ME = "user=javascript:gs.getUserID()"


@pytest.mark.parametrize(
    ("mode", "role_of"),
    [
        ("true", lambda r: r["display_value"]),
        ("all", lambda r: r["value"] + "|" + r["display_value"]),
        ("false", lambda r: r["value"]),
    ],
)
def test_the_caller_reads_its_own_grants_in_each_display_mode(
    connector_context, connector_client, mode, role_of
):
    make_user(connector_context, "svc", [ITIL, INSIGHTS_USER])

    answer = connector_client.get(
        PATH, params={"sysparm_query": ME, "sysparm_display_value": mode}, headers=basic("svc")
    )

    assert answer.status_code == 200
    expected = (
        [ITIL, INSIGHTS_USER] if mode != "all" else [f"{ITIL}|{ITIL}", f"{INSIGHTS_USER}|{INSIGHTS_USER}"]
    )
    assert sorted(role_of(grant["role"]) for grant in answer.json()["result"]) == sorted(expected)


def test_another_users_grants_are_refused(connector_context, connector_client):
    make_user(connector_context, "svc", [ITIL])
    other = make_user(connector_context, "other", [ITIL])

    answer = connector_client.get(PATH, params={"sysparm_query": f"user={other}"}, headers=basic("svc"))

    assert answer.status_code == 403 and answer.json()["status"] == "failure"
    assert "javascript:gs.getUserID()" in answer.json()["error"]["detail"]
