"""The connector's role matrix (docs/security.md), generated from the app's own route table.

Every operation the app serves must be classified below, or the test fails: a new route cannot ship
without saying who may call it. Each caller is a real user created through the users service with a
real password; API operations are called with HTTP Basic, pages with a UI session from the login form.
Path parameters get unknown ids: an authorised caller passes the gate (404/422 are fine), a refused
one gets 401 (anonymous) or 403 (API), a redirect to /login (no session) or 403 (pages).
The cloud's matrix is in ``test_role_matrix_generated_cloud.py``.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from m365bridge.connector.app import create_app
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR, INCIDENT_MANAGER, INSIGHTS_USER, ITIL
from tests.connector.auth.helpers import basic, login, make_user, page_csrf
from tests.security.routes import DOCS_PAGES, Operation, concrete, documented_paths, is_documented, operations

# Building the app migrates a database in its data folder: a throwaway one, never a fixed path.
_ROUTES_DIR = tempfile.TemporaryDirectory(prefix="m365bridge-routes-")

SECURITY_DOC = Path(__file__).parents[2] / "docs" / "security.md"
V1 = "/api/x_mioms_m365_assis/v1"
INBOUND = "/api/x_mioms_m365_assis/inbound"

USERS = {  # caller: (user name, roles, web service access only)
    "web_service": ("integration", [INCIDENT_MANAGER], True),
    "itil": ("agent", [ITIL], False),
    "insights": ("reader", [INSIGHTS_USER], False),
    "app_admin": ("appadmin", [APP_ADMINISTRATOR], False),
    "admin": ("root", [ADMIN], False),
}
CALLERS = ["anonymous", *USERS]

# Who passes each kind of gate; "public" takes no credentials, "nobody" admits none of these callers
# ("inbound" is the configured integration user only, "metrics" loopback or the metrics token).
RULES: dict[str, set[str]] = {
    "public": set(CALLERS),
    "nobody": set(),
    "any": set(USERS),
    "read": {"web_service", "itil", "insights", "app_admin", "admin"},
    "write": {"web_service", "itil", "admin"},
    "reply": {"web_service", "itil", "app_admin", "admin"},
    "push": {"web_service", "admin"},
    "tab": {"insights", "app_admin", "admin"},
    "app_admin": {"app_admin", "admin"},
    "admin": {"admin"},
}

# Routes that answer only a particular question (any other is refused with 403, whoever asks).
QUERIES = {"GET /api/now/table/sys_user_has_role": "?sysparm_query=user=javascript:gs.getUserID()"}

API = {
    "POST /oauth_token.do": "public",
    f"POST {INBOUND}/oauth_token.do": "public",
    f"GET {INBOUND}/probe": "nobody",
    f"POST {INBOUND}/v1/events": "nobody",
    f"GET {V1}/whoami": "any",
    f"GET {V1}/setup/check": "any",
    **{f"{m} {V1}/allowlist": "admin" for m in ("GET", "POST")},
    f"DELETE {V1}/allowlist/{{entry_id}}": "admin",
    **{f"{m} {V1}/users": "admin" for m in ("GET", "POST")},
    **{f"{m} {V1}/users/{{user_id}}": "admin" for m in ("GET", "PATCH")},
    f"PUT {V1}/users/{{user_id}}/password": "admin",
    f"POST {V1}/users/{{user_id}}/roles": "admin",
    f"DELETE {V1}/users/{{user_id}}/roles/{{role}}": "admin",
    **{f"{m} {V1}/oidc/{kind}": "admin" for m in ("GET", "POST") for kind in ("providers", "entities")},
    **{
        f"{m} {V1}/oidc/{kind}/{{{kind[:-3] + 'y' if kind == 'entities' else 'provider'}_id}}": "admin"
        for m in ("GET", "PUT", "DELETE")
        for kind in ("providers", "entities")
    },
    **{f"{m} {V1}/oauth_entities": "admin" for m in ("GET", "POST")},
    **{f"{m} {V1}/oauth_entities/{{entity_id}}": "admin" for m in ("GET", "DELETE")},
    "GET /api/now/table/incident": "read",
    "GET /api/now/table/incident/{sys_id}": "read",
    "GET /api/now/table/sys_journal_field": "read",
    "GET /api/now/table/sys_journal_field/{sys_id}": "read",
    "GET /api/now/table/sys_user_has_role": "any",
    "GET /api/now/ui/user/current_user": "any",
    "POST /api/now/table/incident": "write",
    "PATCH /api/now/table/incident/{sys_id}": "write",
    "PUT /api/now/table/incident/{sys_id}": "write",
    "DELETE /api/now/table/incident/{sys_id}": "admin",
    f"GET {V1}/incidents/{{sys_id}}/insights": "tab",
    f"POST {V1}/incidents/{{sys_id}}/insights/feedback": "tab",
    f"POST {V1}/incidents/{{sys_id}}/cases": "app_admin",
    f"GET {V1}/incidents/{{sys_id}}/cases": "read",
    f"POST {V1}/cases/{{case_sys_id}}/messages": "reply",
    f"PATCH {V1}/cases/{{case_sys_id}}/contact": "reply",
    f"POST {V1}/servicenow/changes": "push",
    "GET /healthz": "public",
    "GET /readyz": "public",
    "GET /metrics": "nobody",
    **{f"GET {path}": "public" for path in DOCS_PAGES},
}

PAGES = {
    "GET /static/{path}": "public",
    "GET /login": "public",
    "POST /login": "public",
    # The client and its redirect URL are checked before anything else (a 400 page); then a session.
    "GET /oauth_auth.do": "public",
    "POST /oauth_auth.do": "public",
    # The instance sign-in: nothing to protect before the instance has authenticated the agent.
    "GET /auth/servicenow/login": "public",
    "GET /auth/servicenow/callback": "public",
    "GET /": "any",
    "GET /incidents": "read",
    "GET /incidents/{sys_id}": "read",
    "GET /incidents/new": "write",
    "POST /incidents/new": "write",
    "POST /incidents/{sys_id}": "write",
    "GET /incidents/{sys_id}/m365": "read",
    "POST /incidents/{sys_id}/m365/insights": "tab",
    "POST /incidents/{sys_id}/m365/search": "tab",
    "POST /incidents/{sys_id}/m365/feedback": "tab",
    "POST /incidents/{sys_id}/m365/cases": "app_admin",
    "POST /m365/cases/{case_sys_id}/reply": "reply",
    "POST /m365/cases/{case_sys_id}/contact": "reply",
    "GET /m365/link-account": "app_admin",
    "POST /m365/link-account": "app_admin",
    "GET /logs/system": "app_admin",
    "GET /logs/http": "admin",
    "GET /m365/service-health": "admin",
    "POST /m365/service-health/settings": "admin",
    "POST /m365/service-health/sync": "admin",
    "GET /m365/setup": "admin",
    **{f"POST /m365/setup/{step}": "admin" for step in ("mode", "reset", "allow-oauth-entity-read", "test")},
    "POST /m365/setup/finish": "admin",
    "POST /m365/setup/step/{step}": "admin",
    "GET /m365/setup/service-desk": "admin",
    "POST /m365/setup/service-desk": "admin",
    "POST /m365/setup/service-desk/test": "admin",
    "GET /m365/troubleshooting": "admin",
    **{f"{m} /registry": "admin" for m in ("GET", "POST")},
    "POST /registry/{entity_id}/delete": "admin",
    **{f"{m} /users/new": "admin" for m in ("GET", "POST")},
    "GET /users": "admin",
    **{f"{m} /users/{{user_id}}": "admin" for m in ("GET", "POST")},
    **{f"POST /users/{{user_id}}/{action}": "admin" for action in ("lock", "unlock", "password")},
    **{f"{m} /oauth-clients": "admin" for m in ("GET", "POST")},
    **{f"{m} /oauth-clients/{{client_id}}": "admin" for m in ("GET", "POST")},
    "POST /oauth-clients/{client_id}/delete": "admin",
    "GET /oidc": "admin",
    **{f"GET /oidc/{kind}/new": "admin" for kind in ("providers", "entities")},
    **{f"{m} /oidc/providers/{{provider_id}}": "admin" for m in ("GET", "POST")},
    **{f"{m} /oidc/entities/{{entity_id}}": "admin" for m in ("GET", "POST")},
    "POST /oidc/providers/{provider_id}/delete": "admin",
    "POST /oidc/entities/{entity_id}/delete": "admin",
    **{f"{m} /allowlist": "admin" for m in ("GET", "POST")},
    "POST /allowlist/{entry_id}/delete": "admin",
    "POST /logout": "any",  # last: it ends the caller's session
}


def app_operations() -> list[Operation]:
    app = create_app(ConnectorSettings(data_dir=_ROUTES_DIR.name))
    found = operations(app)
    return sorted(found, key=lambda op: op.key == "POST /logout")


OPERATIONS = app_operations()


def test_every_route_is_classified_once():
    keys = [op.key for op in OPERATIONS]
    assert sorted(set(API) | set(PAGES)) == sorted(keys), "classify new routes in API or PAGES"
    assert not set(API) & set(PAGES)


def test_every_route_appears_in_docs_security():
    fragments = documented_paths(SECURITY_DOC.read_text())
    missing = [op.key for op in OPERATIONS if not is_documented(op.path, fragments)]
    assert not missing, f"add these to the connector's role matrix in docs/security.md: {missing}"


@pytest.fixture
def signed_in(connector_context):
    """One client per caller on one app; a UI session for every caller that may have one."""
    app = create_app(context=connector_context)
    for user_name, roles, web_service_only in USERS.values():
        make_user(connector_context, user_name, roles, web_service_access_only=web_service_only)
    with ExitStack() as stack:
        clients = {}
        for caller in CALLERS:
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            if caller != "anonymous":
                signed = login(client, USERS[caller][0]).status_code == 303
                assert signed == (not USERS[caller][2]), f"{caller} sign-in"
            clients[caller] = client
        yield clients


def check(
    response, allowed: bool, has_session: bool, *, page: bool, anonymous: bool, public: bool = False
) -> str | None:
    """Why ``response`` disagrees with the expectation, or None."""
    status = response.status_code
    to_login = status == 303 and response.headers.get("location", "").startswith("/login")
    if status >= 500:
        return f"server error {status}"
    if public:  # no gate; the login form may still refuse a post without its CSRF cookie (403)
        return None if status != 401 and not to_login else f"public, got {status}"
    if allowed:
        return None if status not in (401, 403) and not to_login else f"refused with {status}"
    if page:
        expected_login = not has_session
        ok = to_login if expected_login else status == 403
        return None if ok else f"expected {'→ /login' if expected_login else 403}, got {status}"
    expected = 401 if anonymous else 403
    return None if status == expected else f"expected {expected}, got {status}"


@pytest.mark.parametrize("caller", CALLERS)
def test_role_matrix(signed_in, caller, record_property):
    client = signed_in[caller]
    has_session = caller != "anonymous" and not USERS[caller][2]
    csrf = page_csrf(client) if has_session else ""
    failures = []
    for op in OPERATIONS:
        page = op.key in PAGES
        rule = PAGES[op.key] if page else API[op.key]
        url = concrete(op.path, {"role": "itil"}) + QUERIES.get(op.key, "")
        if rule == "public":
            response = client.request(op.method, url, follow_redirects=False)
        elif page:
            form = {"csrf_token": csrf} if op.method == "POST" else None
            headers = {"X-CSRF-Token": csrf} if op.method == "POST" else {}
            response = client.request(op.method, url, data=form, headers=headers, follow_redirects=False)
        else:
            headers = basic(USERS[caller][0]) if caller != "anonymous" else {}
            body = {} if op.method in ("POST", "PUT", "PATCH") else None
            api = TestClient(client.app, raise_server_exceptions=False)  # no session cookie
            response = api.request(op.method, url, json=body, headers=headers)
        allowed = caller in RULES[rule] and (has_session or not page or rule == "public")
        if op.key == "GET /metrics":  # loopback or the metrics token only; the test client is neither
            why = None if response.status_code == 403 else f"got {response.status_code}"
        elif op.key == "POST /logout" and allowed:  # success also ends at /login: check the session ended
            ended = client.get("/", follow_redirects=False).status_code == 303
            why = None if response.status_code == 303 and ended else "the session survived"
        else:
            why = check(
                response,
                allowed,
                has_session,
                page=page,
                anonymous=caller == "anonymous",
                public=rule == "public",
            )
        if why:
            failures.append(f"{op.key} [{rule}]: {why}")
    record_property("tally:role_matrix_checks", len(OPERATIONS))
    assert not failures, "\n".join(failures)
