"""Every endpoint this package owns, for every kind of caller: the matrix of docs/security.md."""

import pytest

from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR, INCIDENT_MANAGER, INSIGHTS_USER
from tests.connector.auth.helpers import API, basic, make_user

CALLERS = {
    "anonymous": None,
    "web_service": ("integration", [INCIDENT_MANAGER], True),
    "insights_user": ("agent", [INSIGHTS_USER], False),
    "app_administrator": ("appadmin", [APP_ADMINISTRATOR], False),
    "admin": ("root", [ADMIN], False),
}
ANY_USER = {"web_service", "insights_user", "app_administrator", "admin"}
ADMIN_ONLY = {"admin"}

ENDPOINTS = [
    ("GET", f"{API}/whoami", None, ANY_USER),
    ("GET", f"{API}/users", None, ADMIN_ONLY),
    ("POST", f"{API}/users", {"user_name": "new.user", "password": "long enough pw"}, ADMIN_ONLY),
    ("GET", f"{API}/users/agent", None, ADMIN_ONLY),
    ("PATCH", f"{API}/users/agent", {"name": "Agent"}, ADMIN_ONLY),
    ("PUT", f"{API}/users/agent/password", {"password": "another long pw"}, ADMIN_ONLY),
    ("POST", f"{API}/users/agent/roles", {"role": "itil"}, ADMIN_ONLY),
    ("DELETE", f"{API}/users/agent/roles/itil", None, ADMIN_ONLY),
    ("GET", f"{API}/allowlist", None, ADMIN_ONLY),
    ("POST", f"{API}/allowlist", {"cidr": "10.0.0.0/8"}, ADMIN_ONLY),
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
def test_role_matrix(connector_client, callers, caller, method, path, body, allowed):
    spec = CALLERS[caller]
    headers = basic(spec[0]) if spec else {}

    response = connector_client.request(method, path, json=body, headers=headers)

    if caller in allowed:
        assert response.status_code < 400, response.text
    else:
        assert response.status_code == (401 if spec is None else 403)
        assert response.json()["status"] == "failure"
