"""The cloud's role matrix (docs/security.md), generated from the app's route table, ``/graph`` included.

Every operation must be classified below. Callers are real: tokens from the identity service's own token
endpoint (client credentials), people signed in through the portal's login form, a tenant admin's HTTP
Basic, the admin API token. Unknown ids fill path parameters (the tenant is the real one): an authorised
caller passes the gate (404/422 are fine); a refused one gets 401 (no credentials of that door) or 403
on the API, a redirect to /portal/login (no session) or 403 (pages).
"""

from __future__ import annotations

import base64
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app
from m365bridge.cloud.identity import service as identity
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from tests.cloud.directory.test_login import csrf_of, sign_in
from tests.cloud.identity.conftest import App, make_directory
from tests.cloud.knowledge.test_search_api import configure_issuing_app
from tests.cloud.people import add_admin, add_engineer
from tests.security.routes import DOCS_PAGES, Operation, concrete, documented_paths, is_documented, operations

# Building the app migrates a database in its data folder: a throwaway one, never a fixed path.
_ROUTES_DIR = tempfile.TemporaryDirectory(prefix="m365bridge-routes-")

SECURITY_DOC = Path(__file__).parents[2] / "docs" / "security.md"
ADMIN_API_TOKEN = "admin-api-token-for-the-role-matrix"
APPS = ("other_tenant_app", "unconfigured_app", "issuing_app")
SESSIONS = ("tenant_admin", "support_engineer")
CALLERS = ["anonymous", *APPS, *SESSIONS, "tenant_admin_basic", "admin_api"]
APP_REFUSED_WITH_403 = {"admin_api", "issuing_app", "knowledge"}

RULES: dict[str, set[str]] = {
    "public": set(CALLERS),
    "nobody": set(),
    "admin_api": {"admin_api"},
    "tenant_admin_basic": {"tenant_admin_basic"},
    "issuing_app": {"issuing_app"},
    "graph_apps": set(APPS),
    # No Authorization means the public articles only; a bearer must be the tenant's issuing app, and any
    # other scheme (Basic) is refused with 401.
    "knowledge": {"anonymous", *SESSIONS, "issuing_app"},
    "signed_in": set(SESSIONS),
    "tenant_admin": {"tenant_admin"},
    "support_engineer": {"support_engineer"},
}

IDENTITY = [
    "POST /{tenant}/oauth2/token",
    "POST /{tenant}/oauth2/v2.0/token",
    "GET /{tenant}/oauth2/authorize",
    "GET /{tenant}/oauth2/v2.0/authorize",
    "GET /{tenant}/.well-known/openid-configuration",
    "GET /{tenant}/v2.0/.well-known/openid-configuration",
    "GET /{tenant}/discovery/keys",
    "GET /{tenant}/discovery/v2.0/keys",
]
INTEGRATION = "/support/v1/tenants/{tenant}/integration"
GRAPH = "/graph/v1.0/admin/serviceAnnouncement"
SETTINGS_PAGES = "/portal/settings/support-integration"
ISSUE_ACTIONS = ("posts", "resolve")
EDIT = ("GET", "PUT", "DELETE")
GRAPH_ROLES = ["ServiceHealth.Read.All", "ServiceMessage.Read.All"]

API = {
    **dict.fromkeys(IDENTITY, "public"),
    **{f"GET {path}": "public" for path in (*DOCS_PAGES, *(f"/graph{p}" for p in DOCS_PAGES))},
    "GET /healthz": "public",
    "GET /readyz": "public",
    "GET /metrics": "nobody",
    **{f"{m} /admin/identity/tenants": "admin_api" for m in ("GET", "POST")},
    **{f"{m} /admin/identity/tenants/{{tenant}}/apps": "admin_api" for m in ("GET", "POST")},
    "POST /admin/identity/apps/{client_id}/secrets": "admin_api",
    **{f"{m} /admin/identity/apps/{{client_id}}/grants": "admin_api" for m in ("GET", "POST")},
    "POST /admin/identity/keys/rotate": "admin_api",
    **{f"{m} /admin/graph/tenants/{{tenant}}/issues": "admin_api" for m in ("GET", "POST")},
    **{
        f"POST /admin/graph/tenants/{{tenant}}/issues/{{issue_id}}/{a}": "admin_api"
        for a in ("posts", "resolve")
    },
    **{f"{m} {INTEGRATION}": "tenant_admin_basic" for m in ("GET", "PUT")},
    **{f"{m} {INTEGRATION}/repositories": "tenant_admin_basic" for m in ("GET", "POST")},
    **{
        f"{m} {INTEGRATION}/repositories/{{repository}}": "tenant_admin_basic"
        for m in ("GET", "PUT", "DELETE")
    },
    "GET /support/v1/integration": "issuing_app",
    "POST /support/v1/repositories/{repository}/probe": "issuing_app",
    **{f"{m} /support/v1/cases": "issuing_app" for m in ("GET", "POST")},
    "GET /support/v1/cases/{case_id}": "issuing_app",
    "POST /support/v1/cases/{case_id}/messages": "issuing_app",
    "PATCH /support/v1/cases/{case_id}/contact": "issuing_app",
    "GET /support/v1/tenant-admins": "issuing_app",
    **{f"{m} /support/v1/solutions/search": "knowledge" for m in ("GET", "POST")},
    "GET /support/v1/articles/{article_id:path}": "knowledge",
    **{f"GET {GRAPH}/{kind}": "graph_apps" for kind in ("healthOverviews", "issues", "messages")},
    f"GET {GRAPH}/healthOverviews/{{service_id}}": "graph_apps",
    f"GET {GRAPH}/issues/{{issue_id}}": "graph_apps",
    f"GET {GRAPH}/issues/{{issue_id}}/incidentReport": "graph_apps",
    f"GET {GRAPH}/messages/{{message_id}}": "graph_apps",
}

PAGES = {
    "GET /portal/static/{path}": "public",
    "GET /portal/login": "public",
    "POST /portal/login": "public",
    "GET /portal": "signed_in",
    f"GET {SETTINGS_PAGES}": "tenant_admin",
    f"POST {SETTINGS_PAGES}/basic": "tenant_admin",
    **{f"{m} {SETTINGS_PAGES}/repositories/new": "tenant_admin" for m in ("GET", "POST")},
    **{f"{m} {SETTINGS_PAGES}/repositories/{{repository_id}}": "tenant_admin" for m in ("GET", "POST")},
    f"POST {SETTINGS_PAGES}/repositories/{{repository_id}}/delete": "tenant_admin",
    "GET /console": "support_engineer",
    "GET /console/cases/{case_id}": "support_engineer",
    **{f"POST /console/cases/{{case_id}}/{a}": "support_engineer" for a in ("reply", "status")},
    "GET /console/dead-letters": "support_engineer",
    "POST /console/dead-letters/{event_id}/retry": "support_engineer",
    "POST /portal/logout": "signed_in",  # last: it ends the caller's session
}


def app_operations() -> list[Operation]:
    found = operations(create_app(CloudSettings(data_dir=_ROUTES_DIR.name)))
    return sorted(found, key=lambda op: op.key == "POST /portal/logout")


OPERATIONS = app_operations()


def test_every_route_is_classified_once():
    keys = [op.key for op in OPERATIONS]
    assert sorted(set(API) | set(PAGES)) == sorted(keys), "classify new routes in API or PAGES"
    assert not set(API) & set(PAGES)


def test_every_route_appears_in_docs_security():
    fragments = documented_paths(SECURITY_DOC.read_text())
    missing = [op.key for op in OPERATIONS if not is_documented(op.path, fragments)]
    assert not missing, f"add these to the cloud's role matrix in docs/security.md: {missing}"


@pytest.fixture
def cloud_settings(tmp_path, new_database_url):
    return CloudSettings(
        data_dir=tmp_path / "cloud", database_url=new_database_url("cloud"), admin_api_token=ADMIN_API_TOKEN
    )


def token(client: TestClient, tenant: str, app: App, resource: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": app.secret}
    answer = client.post(f"/{tenant}/oauth2/token", data={**form, "resource": resource})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def second_outbound_app(context, tenant_id: str) -> App:
    """An app of the tenant with the same grants as the issuing app, but not the configured one."""
    with transaction(context.sessions) as session:
        app = identity.create_app_registration(session, tenant_id, "Another outbound app")
        identity.grant_app_roles(
            session, app, GRAPH_RESOURCE, ["ServiceHealth.Read.All", "ServiceMessage.Read.All"]
        )
        identity.grant_app_roles(session, app, SUPPORT_RESOURCE, ["Support.ReadWrite.All"])
        return App(app.client_id, identity.add_client_secret(session, app), None)


@pytest.fixture
def world(cloud_context):
    """One client per caller and the Authorization headers each sends to bearer (Graph / support) doors."""
    contoso = make_directory(cloud_context, "contoso.onmicrosoft.com")
    configure_issuing_app(cloud_context, contoso)
    fabrikam = make_directory(cloud_context, "fabrikam.onmicrosoft.com")
    unconfigured = second_outbound_app(cloud_context, contoso.tenant_id)
    admin_email, admin_password = add_admin(cloud_context, tenant=contoso.tenant_id)
    engineer = add_engineer(cloud_context)
    app = create_app(context=cloud_context)
    with ExitStack() as stack:
        clients = {c: stack.enter_context(TestClient(app, raise_server_exceptions=False)) for c in CALLERS}
        assert sign_in(clients["tenant_admin"], admin_email, admin_password).status_code == 303
        assert sign_in(clients["support_engineer"], *engineer).status_code == 303
        apps = {
            "other_tenant_app": (fabrikam.tenant_id, fabrikam.client),
            "unconfigured_app": (contoso.tenant_id, unconfigured),
            "issuing_app": (contoso.tenant_id, contoso.client),
        }
        headers: dict[str, dict[str, dict[str, str]]] = {c: {"graph": {}, "other": {}} for c in CALLERS}
        for caller, (tenant, registration) in apps.items():
            for door, resource in (("graph", GRAPH_RESOURCE), ("other", SUPPORT_RESOURCE)):
                bearer = token(clients[caller], tenant, registration, resource)
                headers[caller][door] = {"Authorization": f"Bearer {bearer}"}
        basic = base64.b64encode(f"{admin_email}:{admin_password}".encode()).decode()
        for door in ("graph", "other"):
            headers["tenant_admin_basic"][door] = {"Authorization": f"Basic {basic}"}
            headers["admin_api"][door] = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
        yield clients, headers, {"tenant": contoso.tenant_id}


def verdict(response, rule: str, caller: str, *, page: bool) -> str | None:
    """Why ``response`` disagrees with the matrix, or None."""
    status = response.status_code
    to_login = status == 303 and response.headers.get("location", "").startswith("/portal/login")
    if status >= 500:
        return f"server error {status}"
    if rule == "public":
        return None if status != 401 and not to_login else f"public, got {status}"
    if caller in RULES[rule]:
        return None if status not in (401, 403) and not to_login else f"refused with {status}"
    if page:
        expected_login = caller not in SESSIONS
        ok = to_login if expected_login else status == 403
        return None if ok else f"expected {'→ /portal/login' if expected_login else 403}, got {status}"
    # An app's valid token at a door that knows it but refuses the app: 403; any credential the door
    # cannot read (no header, a session cookie, Basic at a bearer door, a foreign bearer): 401.
    expected = 403 if caller in APPS and rule in APP_REFUSED_WITH_403 else 401
    return None if status == expected else f"expected {expected}, got {status}"


@pytest.mark.parametrize("caller", CALLERS)
def test_role_matrix(world, caller, record_property):
    clients, headers, values = world
    client = clients[caller]
    csrf = csrf_of(client.get("/portal").text) if caller in SESSIONS else ""
    failures = []
    for op in OPERATIONS:
        page = op.key in PAGES
        rule = PAGES[op.key] if page else API[op.key]
        url = concrete(op.path, values)
        if page:
            form = {"csrf_token": csrf} if op.method == "POST" else None
            response = client.request(op.method, url, data=form, follow_redirects=False)
        else:
            door = "graph" if op.path.startswith("/graph/") else "other"
            body = {} if op.method in ("POST", "PUT", "PATCH") else None
            response = client.request(op.method, url, json=body, headers=headers[caller][door])
        if op.key == "GET /metrics":  # loopback or the metrics token only; the test client is neither
            why = None if response.status_code == 403 else f"got {response.status_code}"
        elif op.key == "POST /portal/logout" and caller in SESSIONS:  # success ends at the login page too
            ended = client.get("/portal", follow_redirects=False).status_code == 303
            why = None if response.status_code == 303 and ended else "the session survived"
        else:
            why = verdict(response, rule, caller, page=page)
        if why:
            failures.append(f"{op.key} [{rule}]: {why}")
    record_property("tally:role_matrix_checks", len(OPERATIONS))
    assert not failures, "\n".join(failures)
