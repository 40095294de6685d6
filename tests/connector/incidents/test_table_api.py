"""The Table API subset over HTTP: shapes, paging, display values, journals, roles and error bodies."""

from __future__ import annotations

import re

import pytest

from m365bridge.connector.users.roles import ADMIN, INCIDENT_MANAGER, INSIGHTS_USER, ITIL
from tests.connector.auth.helpers import basic, make_user
from tests.connector.incidents.helpers import make_incident

TABLE = "/api/now/table/incident"
JOURNAL = "/api/now/table/sys_journal_field"


@pytest.fixture
def itil(connector_context) -> dict[str, str]:
    make_user(connector_context, "beth.anglin", [ITIL])
    return basic("beth.anglin")


def test_anonymous_callers_get_401_with_servicenows_error_body(connector_client):
    response = connector_client.get(TABLE)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "failure" and set(body["error"]) == {"message", "detail"}


def test_insights_user_reads_but_may_not_write(connector_context, connector_client):
    make_user(connector_context, "insights", [INSIGHTS_USER])
    make_incident(connector_context)
    assert connector_client.get(TABLE, headers=basic("insights")).status_code == 200
    response = connector_client.post(TABLE, json={"short_description": "x"}, headers=basic("insights"))
    assert response.status_code == 403
    assert response.json()["status"] == "failure"


def test_web_service_only_user_with_incident_manager_creates_incidents(connector_context, connector_client):
    make_user(connector_context, "m365.integration", [INCIDENT_MANAGER], web_service_access_only=True)
    response = connector_client.post(
        TABLE,
        json={"short_description": "Exchange down", "impact": "1", "urgency": "2"},
        headers=basic("m365.integration"),
    )
    assert response.status_code == 201
    result = response.json()["result"]
    assert response.headers["location"].endswith(f"{TABLE}/{result['sys_id']}")
    assert (result["number"], result["priority"], result["state"], result["active"]) == (
        "INC0010001",
        "2",
        "1",
        "true",
    )
    assert result["sys_created_by"] == "m365.integration"


def test_values_are_strings_and_datetimes_servicenow_formatted(connector_context, connector_client, itil):
    sys_id, _ = make_incident(connector_context)
    result = connector_client.get(f"{TABLE}/{sys_id}", headers=itil).json()["result"]
    assert all(isinstance(v, str) for v in result.values())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", result["opened_at"])
    assert result["resolved_at"] == "" and result["sys_mod_count"] == "0"


def test_missing_record_answers_404_no_record_found(connector_client, itil):
    response = connector_client.get(f"{TABLE}/{'0' * 32}", headers=itil)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "No Record found",
            "detail": "Record doesn't exist or ACL restricts the record retrieval",
        },
        "status": "failure",
    }


def test_an_invalid_state_is_400_and_creates_nothing(connector_client, itil):
    response = connector_client.post(TABLE, json={"short_description": "x", "state": "99"}, headers=itil)
    assert response.status_code == 400
    assert "state" in response.json()["error"]["detail"]
    assert connector_client.get(TABLE, headers=itil).headers["x-total-count"] == "0"


def test_encoded_query_filters_and_orders_the_list(connector_context, connector_client, itil):
    for impact in (3, 1, 2, 1):
        make_incident(connector_context, impact=impact, urgency=1)
    response = connector_client.get(
        TABLE,
        params={"sysparm_query": "priority<=2^ORDERBYDESCnumber", "sysparm_fields": "number,priority"},
        headers=itil,
    )
    assert response.json()["result"] == [
        {"number": "INC0010004", "priority": "1"},
        {"number": "INC0010003", "priority": "2"},
        {"number": "INC0010002", "priority": "1"},
    ]


def test_unknown_fields_in_sysparm_fields_are_ignored(connector_context, connector_client, itil):
    make_incident(connector_context)
    response = connector_client.get(TABLE, params={"sysparm_fields": "number,no_such_field"}, headers=itil)
    assert response.json()["result"] == [{"number": "INC0010001"}]


def test_paging_sets_x_total_count_and_servicenows_link_header(connector_context, connector_client, itil):
    for _ in range(5):
        make_incident(connector_context)
    response = connector_client.get(
        TABLE,
        params={"sysparm_limit": "2", "sysparm_offset": "2", "sysparm_query": "active=true"},
        headers=itil,
    )
    assert response.headers["x-total-count"] == "5"
    assert [r["number"] for r in response.json()["result"]] == ["INC0010003", "INC0010004"]
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>;rel="(\w+)"', response.headers["link"]))
    assert set(links) == {"first", "prev", "next", "last"}
    assert "sysparm_offset=0" in links["first"] and "sysparm_offset=0" in links["prev"]
    assert "sysparm_offset=4" in links["next"] and "sysparm_offset=4" in links["last"]
    assert all("sysparm_query=active%3Dtrue" in url and "sysparm_limit=2" in url for url in links.values())


def test_first_page_has_no_prev_and_last_page_no_next(connector_context, connector_client, itil):
    for _ in range(3):
        make_incident(connector_context)
    first = connector_client.get(TABLE, params={"sysparm_limit": "2"}, headers=itil).headers["link"]
    last = connector_client.get(
        TABLE, params={"sysparm_limit": "2", "sysparm_offset": "2"}, headers=itil
    ).headers["link"]
    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert 'rel="next"' not in last and 'rel="prev"' in last


def test_a_malformed_limit_is_400(connector_client, itil):
    response = connector_client.get(TABLE, params={"sysparm_limit": "ten"}, headers=itil)
    assert response.status_code == 400 and response.json()["status"] == "failure"


def test_display_values_show_choice_labels_and_user_names(connector_context, connector_client, itil):
    make_user(connector_context, "abel.tuter")
    sys_id, _ = make_incident(connector_context, caller_id="abel.tuter", state="2")
    url = f"{TABLE}/{sys_id}"

    raw = connector_client.get(url, params={"sysparm_fields": "state,caller_id"}, headers=itil).json()[
        "result"
    ]
    shown = connector_client.get(
        url, params={"sysparm_fields": "state,caller_id", "sysparm_display_value": "true"}, headers=itil
    ).json()["result"]
    both = connector_client.get(
        url, params={"sysparm_fields": "state,caller_id", "sysparm_display_value": "all"}, headers=itil
    ).json()["result"]

    caller = raw["caller_id"]["value"]
    assert raw["state"] == "2" and raw["caller_id"]["link"].endswith(f"/api/now/table/sys_user/{caller}")
    assert shown["state"] == "In Progress" and shown["caller_id"]["display_value"] == "abel.tuter"
    assert both["state"] == {"display_value": "In Progress", "value": "2"}
    assert both["caller_id"]["value"] == caller and both["caller_id"]["display_value"] == "abel.tuter"


def test_patch_with_work_notes_appends_to_the_journal(connector_context, connector_client, itil):
    sys_id, _ = make_incident(connector_context)
    url = f"{TABLE}/{sys_id}"
    first = connector_client.patch(url, json={"work_notes": "Checked the relay"}, headers=itil)
    connector_client.patch(url, json={"work_notes": "Restarted it", "state": "2"}, headers=itil)

    assert first.status_code == 200 and first.json()["result"]["work_notes"] == ""
    entries = connector_client.get(
        JOURNAL, params={"sysparm_query": f"element_id={sys_id}^element=work_notes"}, headers=itil
    ).json()["result"]
    assert sorted(e["value"] for e in entries) == ["Checked the relay", "Restarted it"]
    assert {e["sys_created_by"] for e in entries} == {"beth.anglin"}
    shown = connector_client.get(url, params={"sysparm_display_value": "true"}, headers=itil).json()["result"]
    assert "Checked the relay" in shown["work_notes"] and "(Work notes)" in shown["work_notes"]
    assert connector_client.get(url, headers=itil).json()["result"]["sys_mod_count"] == "2"


def test_put_updates_like_patch(connector_context, connector_client, itil):
    sys_id, _ = make_incident(connector_context)
    response = connector_client.put(f"{TABLE}/{sys_id}", json={"short_description": "Renamed"}, headers=itil)
    assert response.json()["result"]["short_description"] == "Renamed"


def test_only_admin_deletes(connector_context, connector_client, itil):
    make_user(connector_context, "admin", [ADMIN])
    sys_id, _ = make_incident(connector_context)
    assert connector_client.delete(f"{TABLE}/{sys_id}", headers=itil).status_code == 403
    assert connector_client.delete(f"{TABLE}/{sys_id}", headers=basic("admin")).status_code == 204
    assert connector_client.get(f"{TABLE}/{sys_id}", headers=itil).status_code == 404


def test_a_garbage_query_never_fails(connector_context, connector_client, itil):
    make_incident(connector_context)
    response = connector_client.get(
        TABLE, params={"sysparm_query": "^^^ORpriority<<=x^NQ^ORDERBY"}, headers=itil
    )
    assert response.status_code == 200
