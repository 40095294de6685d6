"""The instance adapter's writer (``InstanceWriter``) against ServiceNow's documented answers: which
failures the outbox retries, which it keeps as refused, and the work-note marker it looks for."""

from __future__ import annotations

import json

import httpx
import pytest

from m365bridge.connector.servicedesk.port import DeskError, DeskRetriableError, WorkNote
from m365bridge.connector.servicenow.desk import InstanceWriter, marker
from tests.connector.servicenow.contract import client, failure, incident

SYS_ID = "9d385017c611228701d22104cc95c371"
NOTE = WorkNote(SYS_ID, "Matched EX1", "system", key="insights:EX1")
HTML = httpx.Response(200, text="<html>Hibernating</html>", headers={"Content-Type": "text/html"})


@pytest.mark.parametrize(
    "answer",
    [
        failure(429, "Too Many Requests", "rate limit", **{"Retry-After": "1"}),
        failure(500, "Internal error", ""),
        failure(503, "Unavailable", ""),
        HTML,
    ],
    ids=["429", "500", "503", "html"],
)
def test_failures_a_later_try_may_fix_are_retriable(answer):
    writer = InstanceWriter(client(lambda request: answer))

    with pytest.raises(DeskRetriableError) as raised:
        writer.add_work_note(NOTE)

    assert raised.value.args[0]  # says what happened and what to do


@pytest.mark.parametrize("status", [400, 401, 403])
def test_refusals_are_kept_for_good(status):
    writer = InstanceWriter(client(lambda request: failure(status, "Operation Failed", "ACL")))

    with pytest.raises(DeskError) as raised:
        writer.add_work_note(NOTE)

    assert not isinstance(raised.value, DeskRetriableError) and "ACL" in str(raised.value)


def test_a_connection_failure_is_retriable():
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("name or service not known", request=request)

    with pytest.raises(DeskRetriableError):
        InstanceWriter(client(unreachable)).add_work_note(NOTE)


def test_a_work_note_carries_its_key_and_is_found_by_it_in_the_journal():
    sent: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            sent.append(json.loads(request.content))
            return httpx.Response(200, json={"result": incident(SYS_ID, "2026-12-01 10:00:00")})
        rows = [{"sys_id": "j1", "element_id": SYS_ID, "element": "work_notes", "value": v} for v in journal]
        return httpx.Response(200, json={"result": rows})

    journal = ["Another note\n\n[m365bridge:insights:EX10]"]
    writer = InstanceWriter(client(answer))
    assert not writer.has_work_note(SYS_ID, "insights:EX1")  # a key that is a prefix of another's

    writer.add_work_note(NOTE)
    journal.append(sent[0]["work_notes"])

    assert sent == [{"work_notes": f"Matched EX1\n\n{marker('insights:EX1')}"}]
    assert writer.has_work_note(SYS_ID, "insights:EX1")
