"""Encoded queries on date-time fields compare dates, as ServiceNow's do (``sys_updated_on>=…``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from m365bridge.connector.incidents.models import Incident
from m365bridge.connector.users.roles import ITIL
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import basic, make_user

NOON = dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=dt.UTC)


def test_sys_updated_on_at_or_after_a_second_selects_by_date(connector_context, connector_client):
    make_user(connector_context, "agent", [ITIL])
    ids = []
    for n, offset in enumerate((-1, 0, 0.5, 1)):
        created = connector_client.post(
            "/api/now/table/incident", json={"short_description": f"n{n}"}, headers=basic("agent")
        )
        ids.append(created.json()["result"]["sys_id"])
        with transaction(connector_context.sessions, write=True) as session:
            when = NOON + dt.timedelta(seconds=offset)
            session.execute(update(Incident).where(Incident.sys_id == ids[-1]).values(sys_updated_on=when))

    answer = connector_client.get(
        "/api/now/table/incident",
        params={
            "sysparm_query": "sys_updated_on>=2026-12-01 12:00:00^ORDERBYsys_updated_on",
            "sysparm_fields": "sys_id",
        },
        headers=basic("agent"),
    )

    assert answer.status_code == 200, answer.text
    assert [r["sys_id"] for r in answer.json()["result"]] == ids[1:]
