"""Session abuse on the connector UI: CSRF on every form, session fixation, open redirects at sign-in."""

from __future__ import annotations

import re
import tempfile
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import APIRoute

from m365bridge.connector.app import create_app
from m365bridge.connector.auth import sessions
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users.roles import ADMIN
from tests.connector.auth.helpers import login, make_user

# Building the app migrates a database in its data folder: a throwaway one, never a fixed path.
_ROUTES_DIR = tempfile.TemporaryDirectory(prefix="m365bridge-routes-")

NOT_FORMS = ("/api/", "/oauth_token.do", "/login")


def walk(routes, prefix: str = ""):
    """(path, methods) of every API route, through included routers (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route.methods
        elif hasattr(route, "original_router"):
            yield from walk(route.original_router.routes, prefix + route.include_context.prefix)


def form_routes() -> list[str]:
    """Every page route that accepts POST, walked from the app's own route table."""
    app = create_app(ConnectorSettings(data_dir=_ROUTES_DIR.name))
    paths = {
        re.sub(r"\{[^}]+\}", "x" * 32, path)
        for path, methods in walk(app.routes)
        if "POST" in methods and not path.startswith(NOT_FORMS)
    }
    return sorted(paths)


FORMS = form_routes()


@pytest.fixture
def admin(connector_context, connector_client):
    make_user(connector_context, "root", [ADMIN])
    assert login(connector_client, "root").status_code == 303
    return connector_client


def test_the_walk_found_the_forms():
    assert "/logout" in FORMS and len(FORMS) >= 3


@pytest.mark.parametrize("path", FORMS)
def test_every_form_refuses_a_post_without_a_valid_csrf_token(admin, path, record_property):
    for data in ({}, {"csrf_token": "forged"}):
        response = admin.post(path, data=data, follow_redirects=False)
        record_property("tally:csrf_posts_refused", 1)
        assert response.status_code == 403, (path, response.status_code)
    assert admin.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_a_planted_session_cookie_is_not_adopted_at_login(connector_context, connector_client):
    make_user(connector_context, "agent", ["itil"])
    connector_client.cookies.set(sessions.SESSION_COOKIE, "attacker-chosen-value", domain="testserver.local")

    login(connector_client, "agent")

    values = {
        cookie.value for cookie in connector_client.cookies.jar if cookie.name == sessions.SESSION_COOKIE
    }
    assert "attacker-chosen-value" not in values
    assert connector_client.get("/", follow_redirects=False).status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.test/",
        "//evil.test/",
        "/\\evil.test/",
        "\\\\evil.test",
        "http:evil.test",
        "%2F%2Fevil.test",
        "/%2F/evil.test",
        "/%5Cevil.test",
        "///evil.test",
        " //evil.test",
        "\t//evil.test",
        "javascript:alert(1)",
        "/\t/evil.test",
        "https:/evil.test",
    ],
)
def test_login_never_redirects_off_site(connector_context, connector_client, target):
    make_user(connector_context, "agent", ["itil"])

    response = login(connector_client, "agent", next_path=target)

    # As a browser reads it: backslashes are slashes, tabs and newlines vanish.
    location = re.sub(r"[\t\n\r]", "", response.headers["location"]).replace("\\", "/")
    assert response.status_code == 303
    assert urlsplit(urljoin("https://connector.test/", location)).netloc == "connector.test"
