"""The support service's client parses its answers: callers get typed results, never wire JSON."""

from __future__ import annotations

import json

import httpx
import pytest

from m365bridge.connector.support.client import SupportClient, SupportPermanentError
from m365bridge.connector.support.schemas import Contact, IncidentRef, NewCase

CASE = {
    "id": "c-1",
    "number": "CS0001",
    "status": "new",
    "incident": {"sysId": "s" * 32, "number": "INC0001"},
    "title": "Mail is slow",
    "contact": {"name": "Ann", "email": "ann@contoso.test"},
    "preferredContactMethod": "phone",
    "adminEmail": "admin@contoso.test",
    "createdAt": "2026-12-04T11:29:33Z",
    "somethingNew": "ignored",
}


NEW = NewCase(
    repository_id="snow",
    incident=IncidentRef(sys_id="s" * 32, number="INC0001"),
    title="Mail is slow",
    description="",
    contact=Contact(name="Ann", email="ann@contoso.test"),
    preferred_contact_method="email",
    admin_email="admin@contoso.test",
    test_environment=False,
)


def client_answering(body: object, status: int = 200) -> SupportClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    return SupportClient(http, base_url="https://support.test/support", access_token=lambda: "t")


def test_a_case_comes_back_typed():
    case = client_answering(CASE).open_case(NEW, idempotency_key="k")

    assert (case.id, case.number, case.incident.sys_id) == ("c-1", "CS0001", "s" * 32)
    assert (case.contact.name, case.contact.phone, case.preferred_contact_method) == ("Ann", "", "phone")
    assert case.created_at is not None and case.created_at.isoformat() == "2026-12-04T11:29:33+00:00"


def test_the_integration_finds_a_repository_by_id():
    integration = client_answering(
        {
            "tenantId": "t-1",
            "applicationId": "app",
            "repositories": [{"repository": "snow", "endpoint": "https://c.test/api", "clientId": "x"}],
        }
    ).integration()

    assert integration.repository("snow") is not None
    assert integration.repository("snow").endpoint == "https://c.test/api"
    assert integration.repository("other") is None


def test_solutions_come_back_typed():
    found = client_answering(
        {"value": [{"id": "kb1", "title": "Fix", "score": 1.5, "passage": "p"}], "public_only": True}
    ).search_solutions("outlook")

    assert [(s.id, s.title, s.score) for s in found.value] == [("kb1", "Fix", 1.5)]
    assert found.public_only is True


def test_an_answer_of_the_wrong_shape_is_a_clear_permanent_error():
    broken = {key: value for key, value in CASE.items() if key != "incident"}

    with pytest.raises(SupportPermanentError) as refused:
        client_answering(broken).open_case(NEW, idempotency_key="k")

    assert str(refused.value) == "The support service answered with an unexpected Case (check incident)."
    assert json.dumps(broken) not in str(refused.value)


def test_a_new_case_goes_out_in_the_services_field_names():
    sent: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json=CASE)

    client = SupportClient(
        httpx.Client(transport=httpx.MockTransport(answer)), base_url="https://s.test", access_token=None
    )
    client.open_case(NEW, idempotency_key="k")

    assert sent == [
        {
            "repositoryId": "snow",
            "incident": {"sysId": "s" * 32, "number": "INC0001"},
            "title": "Mail is slow",
            "description": "",
            "contact": {"name": "Ann", "email": "ann@contoso.test", "phone": ""},
            "preferredContactMethod": "email",
            "adminEmail": "admin@contoso.test",
            "testEnvironment": False,
        }
    ]
