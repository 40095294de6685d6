"""The instance client against ServiceNow's documented response shapes (``httpx.MockTransport``)."""

from __future__ import annotations

import json

import httpx
import pytest

from m365bridge.connector.servicenow import errors
from m365bridge.connector.servicenow.client import check_instance_url
from m365bridge.connector.servicenow.records import InstanceIncident, Watermark
from m365bridge.shared.errors import UserError
from tests.connector.servicenow.contract import INSTANCE, client, failure, incident, page

SYS_ID = "9d385017c611228701d22104cc95c371"
CALLER = "62826bf03710200044e0bfc8bcbe5df1"


def test_a_reference_field_as_link_and_value_gives_the_sys_id():
    record = {
        "sys_id": SYS_ID,
        "caller_id": {"link": f"{INSTANCE}/api/now/table/sys_user/{CALLER}", "value": CALLER},
    }

    parsed = InstanceIncident.from_record(record)

    assert (parsed.caller_id, parsed.caller_name) == (CALLER, CALLER)


@pytest.mark.parametrize(
    ("state", "caller", "expected"),
    [
        # sysparm_display_value=false: stored values, references as {link, value}
        (
            "6",
            {"link": f"{INSTANCE}/api/now/table/sys_user/{CALLER}", "value": CALLER},
            ("6", "6", CALLER, CALLER),
        ),
        # true: display values, references as {display_value, link}
        (
            "Resolved",
            {"display_value": "Abel Tuter", "link": f"{INSTANCE}/api/now/table/sys_user/{CALLER}"},
            ("Resolved", "Resolved", CALLER, "Abel Tuter"),
        ),
        # all: {display_value, value} everywhere, references with their link too
        (
            {"display_value": "Resolved", "value": "6"},
            {
                "display_value": "Abel Tuter",
                "link": f"{INSTANCE}/api/now/table/sys_user/{CALLER}",
                "value": CALLER,
            },
            ("6", "Resolved", CALLER, "Abel Tuter"),
        ),
    ],
    ids=["false", "true", "all"],
)
def test_each_display_value_mode_is_read(state, caller, expected):
    parsed = InstanceIncident.from_record({"sys_id": SYS_ID, "state": state, "caller_id": caller})

    assert (parsed.state, parsed.state_label, parsed.caller_id, parsed.caller_name) == expected


def test_get_incident_asks_for_display_values_and_the_fields_it_reads():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": incident(SYS_ID, "2026-12-01 10:00:00")})

    found = client(answer).get_incident(SYS_ID)

    assert found.sys_id == SYS_ID and found.caller_name == "Abel Tuter" and found.state == "1"
    params = seen[0].url.params
    assert seen[0].url.path == f"/api/now/table/incident/{SYS_ID}"
    assert params["sysparm_display_value"] == "all" and "short_description" in params["sysparm_fields"]
    assert seen[0].headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("status", "kind", "retriable"),
    [
        (400, errors.RequestRefused, False),
        (401, errors.Unauthorized, False),
        (403, errors.Forbidden, False),
        (404, errors.RecordNotFound, False),
        (500, errors.InstanceFailed, True),
    ],
)
def test_the_failure_body_becomes_an_error_saying_what_to_do(status, kind, retriable):
    detail = "ACL restricts the record retrieval" if status == 403 else "something specific"
    instance = client(lambda request: failure(status, "Operation Failed", detail))

    with pytest.raises(kind) as raised:
        instance.get_incident(SYS_ID)

    assert raised.value.retriable is retriable and raised.value.status == status
    assert "Operation Failed" in str(raised.value) and detail in str(raised.value)
    assert raised.value.fix


def test_paging_reads_x_total_count_and_the_link_header_and_sends_the_watermark_query():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return page([incident("a" * 32, "2026-12-01 10:00:00")], total=3, next_offset=1, limit=1)

    result = client(answer).list_changed(Watermark("2026-12-01 09:59:59", frozenset({"z" * 32})), limit=1)

    assert result.total == 3 and result.has_more and result.next_offset == 1
    assert seen[0].url.params["sysparm_query"] == (
        "sys_updated_on>=2026-12-01 09:59:59^ORDERBYsys_updated_on^ORDERBYsys_id"
    )
    assert seen[0].url.params["sysparm_limit"] == "1"


def test_the_last_page_has_no_next_link():
    answer = page([incident("a" * 32, "2026-12-01 10:00:00")], total=1, next_offset=None, limit=100)

    result = client(lambda request: answer).list_changed(Watermark())

    assert not result.has_more and result.next_offset is None and len(result.incidents) == 1


def test_records_of_the_watermark_second_already_seen_are_dropped_and_others_kept():
    second = "2026-12-01 10:00:00"
    records = [incident(sys_id, second) for sys_id in ("b" * 32, "a" * 32, "c" * 32)]
    answer = page(records, total=3, next_offset=None, limit=100)

    result = client(lambda request: answer).list_changed(Watermark(second, frozenset({"b" * 32})))

    assert [i.sys_id for i in result.incidents] == ["a" * 32, "c" * 32]
    assert result.watermark == Watermark(second, frozenset({"a" * 32, "b" * 32, "c" * 32}))


def test_a_newer_second_starts_a_new_watermark():
    records = [incident("a" * 32, "2026-12-01 10:00:00"), incident("b" * 32, "2026-12-01 10:00:01")]

    result = client(lambda request: page(records, total=2, next_offset=None, limit=100)).list_changed(
        Watermark()
    )

    assert result.watermark == Watermark("2026-12-01 10:00:01", frozenset({"b" * 32}))


def test_429_waits_for_retry_after_then_succeeds():
    answers = iter(
        [
            failure(429, "Too Many Requests", "rate limit rule", **{"Retry-After": "7"}),
            httpx.Response(200, json={"result": incident(SYS_ID, "2026-12-01 10:00:00")}),
        ]
    )
    sleeps: list[float] = []

    found = client(lambda request: next(answers), sleeps=sleeps).get_incident(SYS_ID)

    assert found.sys_id == SYS_ID and sleeps == [7.0]


def test_429_retries_are_bounded_and_end_as_a_retriable_error():
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return failure(429, "Too Many Requests", "rate limit rule", **{"Retry-After": "1"})

    sleeps: list[float] = []
    with pytest.raises(errors.Throttled) as raised:
        client(answer, sleeps=sleeps).get_incident(SYS_ID)

    assert len(calls) == 4 and sleeps == [1.0, 1.0, 1.0]
    assert raised.value.retriable and raised.value.retry_after == 1.0


def test_a_retry_after_longer_than_allowed_is_not_waited_for():
    sleeps: list[float] = []
    instance = client(
        lambda request: failure(429, "Too Many Requests", "", **{"Retry-After": "3600"}),
        sleeps=sleeps,
        max_retry_after=60,
    )

    with pytest.raises(errors.Throttled) as raised:
        instance.get_incident(SYS_ID)

    assert sleeps == [] and raised.value.retry_after == 3600.0


HIBERNATING_PAGE = "<html><head><title>Instance Hibernating</title></head><body>Wake it up.</body></html>"


@pytest.mark.parametrize("status", [200, 503])
def test_an_html_page_instead_of_json_says_the_instance_may_be_hibernating(status):
    instance = client(
        lambda request: httpx.Response(status, text=HIBERNATING_PAGE, headers={"Content-Type": "text/html"})
    )

    with pytest.raises(errors.NotJson) as raised:
        instance.get_incident(SYS_ID)

    assert "web page" in str(raised.value) and "developer.servicenow.com" in raised.value.fix
    assert raised.value.retriable


def test_a_connection_failure_says_to_check_the_url():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    with pytest.raises(errors.InstanceUnreachable) as raised:
        client(refuse).get_incident(SYS_ID)

    assert "does not resolve" in str(raised.value) and "instance URL" in raised.value.fix


def test_work_note_resolve_and_create_send_the_documented_fields():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = 201 if request.method == "POST" else 200
        return httpx.Response(status, json={"result": incident(SYS_ID, "2026-12-01 10:00:00")})

    instance = client(answer)
    instance.add_work_note(SYS_ID, "Matched MO123456")
    instance.resolve(SYS_ID, close_code="Closed/Resolved by Caller", close_notes="resolved upstream")
    instance.create_incident(
        {"short_description": "Exchange degraded"}, correlation_id="m365:EX1", correlation_display="EX1"
    )

    bodies = [(r.method, r.url.path, r.content) for r in seen]
    assert bodies[0][:2] == ("PATCH", f"/api/now/table/incident/{SYS_ID}")
    assert json.loads(bodies[0][2]) == {"work_notes": "Matched MO123456"}
    assert json.loads(bodies[1][2]) == {
        "state": "6",
        "close_code": "Closed/Resolved by Caller",
        "close_notes": "resolved upstream",
    }
    assert bodies[2][:2] == ("POST", "/api/now/table/incident")
    assert json.loads(bodies[2][2]) == {
        "short_description": "Exchange degraded",
        "correlation_id": "m365:EX1",
        "correlation_display": "EX1",
    }


def test_work_notes_are_read_from_the_journal_filtered_on_the_incident():
    seen: list[httpx.Request] = []
    entry = {
        "sys_id": "e" * 32,
        "element_id": SYS_ID,
        "element": "work_notes",
        "value": "note [m365bridge:abc]",
        "sys_created_on": "2026-12-01 10:00:00",
        "sys_created_by": "m365.integration",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": [entry]}, headers={"X-Total-Count": "1"})

    notes = client(answer).work_notes(SYS_ID)

    assert [n.value for n in notes] == ["note [m365bridge:abc]"]
    assert seen[0].url.path == "/api/now/table/sys_journal_field"
    assert (
        seen[0].url.params["sysparm_query"] == f"element_id={SYS_ID}^element=work_notes^ORDERBYsys_created_on"
    )


def test_a_caret_in_a_query_value_cannot_add_a_term():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": []})

    assert client(answer).find_by_correlation("x^active=false") is None
    assert seen[0].url.params["sysparm_query"] == "correlation_id=x^^active=false^ORDERBYsys_created_on"


@pytest.mark.parametrize(
    "url", ["http://dev12345.service-now.com", "ftp://x", "https://x.example/?a=1", "dev123"]
)
def test_only_https_instance_urls_are_accepted(url):
    with pytest.raises(UserError):
        check_instance_url(url, allow_loopback_http=True)


def test_plain_http_to_loopback_only_when_the_settings_allow_it():
    with pytest.raises(UserError):
        check_instance_url("http://127.0.0.1:8500", allow_loopback_http=False)

    assert check_instance_url("http://127.0.0.1:8500/", allow_loopback_http=True) == "http://127.0.0.1:8500"


def test_a_sys_id_cannot_leave_the_incident_record_path():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            404, json={"error": {"message": "No Record found", "detail": ""}, "status": "failure"}
        )

    with pytest.raises(errors.RecordNotFound):
        client(answer).get_incident("../sys_user/abc?x=1")

    assert seen[0].url.raw_path.startswith(b"/api/now/table/incident/..%2Fsys_user%2Fabc%3Fx%3D1?")


def test_a_count_or_offset_that_is_not_ascii_digits_is_read_as_absent_not_a_crash():
    def answer(request: httpx.Request) -> httpx.Response:
        link = f'<{INSTANCE}/api/now/table/incident?sysparm_offset=%C2%B2>;rel="next"'
        return httpx.Response(
            200,
            json={"result": [incident("a" * 32, "2026-12-01 10:00:00")]},
            headers=[(b"X-Total-Count", "²".encode()), (b"Link", link.encode())],
        )

    result = client(answer).list_changed(Watermark())

    assert result.total is None and result.next_offset is None
