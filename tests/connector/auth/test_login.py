from m365bridge.connector.auth.sessions.service import SESSION_COOKIE
from m365bridge.connector.users.roles import INSIGHTS_USER
from tests.connector.auth.helpers import login, make_user, page_csrf


def test_sign_in_opens_a_session_and_reaches_the_home_page(connector_context, connector_client):
    make_user(connector_context, "agent", [INSIGHTS_USER])

    response = login(connector_client, "agent")

    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Welcome, agent" in connector_client.get("/").text


def test_wrong_password_shows_the_error_banner(connector_context, connector_client):
    make_user(connector_context, "agent")

    response = login(connector_client, "agent", "not the password")

    assert response.status_code == 401
    assert "Invalid user name or password." in response.text
    assert SESSION_COOKIE not in connector_client.cookies


def test_login_without_the_form_csrf_token_is_refused(connector_context, connector_client):
    make_user(connector_context, "agent")
    connector_client.get("/login")

    response = connector_client.post(
        "/login", data={"user_name": "agent", "password": "correct horse battery", "csrf_token": "x"}
    )

    assert response.status_code == 403
    assert SESSION_COOKIE not in connector_client.cookies


def test_web_service_only_user_cannot_open_a_ui_session(connector_context, connector_client):
    make_user(connector_context, "integration", web_service_access_only=True)

    response = login(connector_client, "integration")

    assert response.status_code == 403
    assert SESSION_COOKIE not in connector_client.cookies


def test_session_id_is_rotated_at_login(connector_context, connector_client):
    make_user(connector_context, "agent")
    login(connector_client, "agent")
    first = connector_client.cookies.get(SESSION_COOKIE)

    login(connector_client, "agent")
    second = connector_client.cookies.get(SESSION_COOKIE)

    assert first and second and first != second
    connector_client.cookies.clear()
    connector_client.cookies.set(SESSION_COOKIE, first, domain="testserver.local")
    assert connector_client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_next_goes_to_local_paths_only(connector_context, connector_client):
    make_user(connector_context, "agent")

    assert login(connector_client, "agent", next_path="/logs/system").headers["location"] == "/logs/system"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        assert login(connector_client, "agent", next_path=evil).headers["location"] == "/"


def test_logout_needs_the_csrf_token_and_ends_the_session(connector_context, connector_client):
    make_user(connector_context, "agent")
    login(connector_client, "agent")
    token = page_csrf(connector_client)

    assert connector_client.post("/logout", data={}, follow_redirects=False).status_code == 403
    response = connector_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)

    assert response.headers["location"] == "/login"
    assert connector_client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_idle_session_expires(tmp_path):
    from fastapi.testclient import TestClient

    from m365bridge.connector.app import create_app
    from m365bridge.connector.context import ConnectorContext
    from m365bridge.connector.settings import ConnectorSettings
    from m365bridge.shared.db import transaction

    context = ConnectorContext.build(ConnectorSettings(data_dir=tmp_path, session_idle_minutes=1))
    make_user(context, "agent")
    with TestClient(create_app(context=context)) as client:
        login(client, "agent")
        assert client.get("/", follow_redirects=False).status_code == 200
        import datetime as dt

        from sqlalchemy import update

        from m365bridge.connector.auth.sessions.models import UISession
        from m365bridge.shared.orm import utcnow

        with transaction(context.sessions) as session:
            session.execute(update(UISession).values(last_seen_at=utcnow() - dt.timedelta(minutes=2)))

        assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    context.close()
