"""Item 11 of the security review (the connector's part): numbers in query strings, headers and forms that
used to crash with a 500 (``²`` passes ``isdigit()``, ``int()`` refuses it; 2^63 overflows the database)
get a clear 400 in the Table API's shape."""

from __future__ import annotations

import httpx
import pytest

from m365bridge.connector.http import retry_after_seconds
from m365bridge.connector.users.roles import ADMIN, ITIL
from tests.connector.auth.helpers import basic, login, make_user, page_csrf
from tests.connector.incidents.helpers import make_incident

TABLE = "/api/now/table/incident"


@pytest.fixture
def reader(connector_context) -> dict[str, str]:
    make_user(connector_context, "reader", [ITIL])
    make_incident(connector_context)
    return basic("reader")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sysparm_offset", str(2**63)),
        ("sysparm_offset", "9" * 5000),  # past Python's int() digit limit
        ("sysparm_limit", "²"),
        ("sysparm_offset", "\u0661\u0662"),  # Arabic-Indic digits: int() takes them, the Table API does not
        ("sysparm_limit", "-1"),
        ("sysparm_limit", "1e3"),
    ],
)
def test_table_api_window_numbers_other_than_ascii_digits_in_range_get_400(
    connector_client, reader, name, value
):
    response = connector_client.get(TABLE, params={name: value}, headers=reader)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "failure" and name in body["error"]["detail"]
    assert "ASCII digits" in body["error"]["detail"]


def test_a_limit_above_the_maximum_is_still_cut_to_it(connector_client, reader):
    response = connector_client.get(TABLE, params={"sysparm_limit": str(2**31 - 1)}, headers=reader)
    assert response.status_code == 200 and len(response.json()["result"]) == 1


@pytest.mark.parametrize(
    "query", ["priority=²", f"priority={2**63}", "priority=\u0661", "sys_mod_count>" + "9" * 5000]
)
def test_encoded_query_numbers_that_cannot_be_compared_match_nothing(connector_client, reader, query):
    response = connector_client.get(TABLE, params={"sysparm_query": query}, headers=reader)
    assert response.status_code == 200 and response.json()["result"] == []


@pytest.mark.parametrize("value", ["²", "\u0661", "9" * 5000])
def test_a_choice_field_given_a_non_ascii_number_is_refused_with_400(
    connector_context, connector_client, value
):
    make_user(connector_context, "writer", [ITIL])
    response = connector_client.post(
        TABLE, json={"short_description": "x", "state": value}, headers=basic("writer")
    )
    assert response.status_code == 400 and "state" in response.json()["error"]["detail"]


def test_the_incident_list_page_survives_a_page_past_the_databases_integers(
    connector_context, connector_client
):
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    assert connector_client.get("/incidents", params={"page": str(2**63)}).status_code == 200


def test_an_oauth_client_lifespan_past_ten_years_is_refused(connector_context, connector_client):
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    response = connector_client.post(
        "/oauth-clients",
        data={
            "csrf_token": page_csrf(connector_client, "/oauth-clients"),
            "name": "cloud",
            "access_token_lifespan": "1800",
            "refresh_token_lifespan": str(10**30),
        },
    )
    assert response.status_code == 400 and "at most" in response.text


@pytest.mark.parametrize(
    ("header", "seconds"), [("²", None), ("120", 120.0), ("9" * 5000, 86400.0), ("0", 0.0)]
)
def test_retry_after_reads_ascii_seconds_only(header, seconds):
    response = httpx.Response(429, headers=[(b"Retry-After", header.encode())])
    assert retry_after_seconds(response) == seconds
