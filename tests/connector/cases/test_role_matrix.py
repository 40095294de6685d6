"""The cases API for every kind of caller: its rows of the role matrix in docs/security.md.

Without a finished setup an allowed caller gets past the role check and is then told to finish the setup
(409) or that the record is missing (404); a refused one gets 401 or 403 with ServiceNow's error body.
The inbound events row is checked with a set-up connector in ``test_inbound_events.py``.
"""

import pytest

from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR, INCIDENT_MANAGER, INSIGHTS_USER, ITIL
from tests.connector.auth.helpers import basic, make_user

API = "/api/x_mioms_m365_assis/v1"
CALLERS = {
    "anonymous": None,
    "web_service": ("integration", [INCIDENT_MANAGER], True),
    "itil": ("itil.agent", [ITIL], False),
    "insights_user": ("insights.agent", [INSIGHTS_USER], False),
    "app_administrator": ("appadmin", [APP_ADMINISTRATOR], False),
    "admin": ("root", [ADMIN], False),
}
READERS = {"web_service", "itil", "insights_user", "app_administrator", "admin"}
REPLIERS = {"web_service", "itil", "app_administrator", "admin"}
OPENERS = {"app_administrator", "admin"}
CASE = {
    "title": "Mail delayed",
    "description": "",
    "contact": {"name": "Ada", "email": "ada@contoso.com", "phone": ""},
    "preferredContactMethod": "email",
}
CONTACT = {"name": "Ada", "email": "ada@contoso.com", "phone": "", "preferredContactMethod": "email"}

ENDPOINTS = [
    ("POST", f"{API}/incidents/x/cases", CASE, OPENERS),
    ("GET", f"{API}/incidents/x/cases", None, READERS),
    ("POST", f"{API}/cases/x/messages", {"body": "Hello", "clientMessageId": "m-1"}, REPLIERS),
    ("PATCH", f"{API}/cases/x/contact", CONTACT, REPLIERS),
]


@pytest.fixture
def callers(connector_context):
    for spec in CALLERS.values():
        if spec:
            make_user(connector_context, spec[0], spec[1], web_service_access_only=spec[2])


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS]
)
def test_cases_role_matrix(connector_client, callers, caller, method, path, body, allowed):
    spec = CALLERS[caller]
    headers = basic(spec[0]) if spec else {}

    response = connector_client.request(method, path, json=body, headers=headers)

    if caller in allowed:
        assert response.status_code in (404, 409), response.text
    else:
        assert response.status_code == (401 if spec is None else 403)
        assert response.json()["status"] == "failure"
