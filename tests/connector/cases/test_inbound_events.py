"""``POST {Endpoint}/v1/events`` as the integration user: 404, 400, duplicate, gap, no credentials."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.e2e.loop import Loop, eventually


def _post(loop: Loop, event: dict[str, Any], *, auth: bool = True) -> httpx.Response:
    user = loop.record.users["integration"]
    with httpx.Client(verify=loop.verify, timeout=30) as client:
        return client.post(
            f"{loop.record.extra['endpoint']}/v1/events",
            json=event,
            auth=(user["user_name"], user["password"]) if auth else None,
        )


def _event(case: dict[str, Any], sequence: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "sequence": sequence,
        "type": "case.message",
        "caseId": case["caseId"],
        "caseNumber": case["number"],
        "incidentSysId": case["incident"],
        "occurredAt": "2026-01-02T03:04:05Z",
        "data": {"author": "Engineer", "authorKind": "engineer", "body": "hello"},
        **changes,
    }


def _settled_case(loop: Loop) -> dict[str, Any]:
    case = loop.escalate(loop.new_incident())
    eventually(lambda: loop.all_delivered(case["caseId"]), what="case.created delivered")
    return case


def test_an_unknown_case_gets_404(loop: Loop) -> None:
    case = _settled_case(loop)
    assert _post(loop, _event(case, 2, caseId=str(uuid.uuid4()))).status_code == 404


def test_a_malformed_event_gets_400_and_changes_nothing(loop: Loop) -> None:
    case = _settled_case(loop)
    notes = loop.work_notes(case["incident"])
    answer = _post(loop, _event(case, 2, data={"author": "Engineer"}))
    assert answer.status_code == 400
    assert answer.json()["status"] == "failure"
    assert _post(loop, {"id": "x"}).status_code == 400
    assert loop.work_notes(case["incident"]) == notes


def test_a_duplicate_is_acknowledged_without_effect(loop: Loop) -> None:
    case = _settled_case(loop)
    event = _event(case, 2)
    assert _post(loop, event).json()["applied"] is True
    notes = loop.work_notes(case["incident"])
    again = _post(loop, event)
    assert again.status_code == 200 and again.json()["applied"] is False
    assert loop.work_notes(case["incident"]) == notes


def test_a_gap_is_refused_with_409_so_the_sender_retries(loop: Loop) -> None:
    case = _settled_case(loop)
    notes = loop.work_notes(case["incident"])
    assert _post(loop, _event(case, 5)).status_code == 409
    assert loop.work_notes(case["incident"]) == notes


def test_an_event_without_credentials_gets_401(loop: Loop) -> None:
    case = _settled_case(loop)
    assert _post(loop, _event(case, 2), auth=False).status_code == 401


def test_the_same_event_posted_concurrently_is_applied_once(loop: Loop) -> None:
    case = _settled_case(loop)
    notes = loop.work_notes(case["incident"])
    event = _event(case, 2)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: _post(loop, event), range(6)))
    assert [answer.status_code for answer in answers] == [200] * 6
    assert sorted(answer.json()["applied"] for answer in answers) == [False] * 5 + [True]
    assert len(loop.work_notes(case["incident"])) == len(notes) + 1
