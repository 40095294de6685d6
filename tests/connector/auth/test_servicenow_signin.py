"""Agents sign in to the connector with their ServiceNow account, through the stand-in instance's
``/oauth_auth.do`` and ``/oauth_token.do``; their instance roles decide their connector roles."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.servicenow import service as signin
from m365bridge.connector.auth.servicenow.models import InstanceAccount
from m365bridge.connector.auth.sessions.service import SESSION_COOKIE
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import repository as users
from m365bridge.connector.users import service as user_service
from m365bridge.connector.users.roles import ADMIN, APP_ADMINISTRATOR, INSIGHTS_USER, ITIL
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API, hidden_fields, page_csrf
from tests.connector.auth.instance_world import PASSWORD, instance_world

CALLBACK = "https://bridge.example.com/auth/servicenow/callback?"


@pytest.fixture
def world(tmp_path, tls, new_database_url):
    with instance_world(tmp_path, tls, new_database_url) as built:
        yield built


@pytest.fixture
def bridge_http(world):
    with TestClient(create_app(context=world.bridge), raise_server_exceptions=False) as client:
        yield client


def approve_at_instance(world, authorize_url: str, user_name: str, decision: str = "allow") -> str:
    """A browser at the instance: signs in as ``user_name``, answers the consent page; the redirect."""
    verify = ssl.create_default_context(cafile=str(world.ca))
    with httpx.Client(base_url=world.instance_url, verify=verify, follow_redirects=False) as browser:
        to_login = browser.get(authorize_url)
        assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login?next=")
        form = browser.get(to_login.headers["location"])
        fields = hidden_fields(form.text)
        signed_in = browser.post("/login", data={**fields, "user_name": user_name, "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        consent = browser.get(signed_in.headers["location"])
        assert consent.status_code == 200 and "Allow access" in consent.text
        answer = browser.post("/oauth_auth.do", data={**hidden_fields(consent.text), "decision": decision})
        assert answer.status_code == 303
        return answer.headers["location"]


def start(bridge_http, next_path="/"):
    started = bridge_http.get("/auth/servicenow/login", params={"next": next_path}, follow_redirects=False)
    assert started.status_code == 303
    return started.headers["location"]


def back_at_bridge(bridge_http, redirect: str):
    assert redirect.startswith(CALLBACK)
    parts = urlsplit(redirect)
    return bridge_http.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def sign_in(world, bridge_http, user_name, next_path="/"):
    return back_at_bridge(bridge_http, approve_at_instance(world, start(bridge_http, next_path), user_name))


def whoami(bridge_http):
    return bridge_http.get(f"{API}/whoami", headers={"X-CSRF-Token": page_csrf(bridge_http)}).json()["result"]


def test_the_login_starts_at_the_instance_with_state_and_pkce(world, bridge_http):
    authorize = start(bridge_http)

    parts = urlsplit(authorize)
    assert f"{parts.scheme}://{parts.netloc}" == world.instance_url and parts.path == "/oauth_auth.do"
    query = dict(pair.split("=", 1) for pair in parts.query.split("&"))
    assert query["client_id"] == world.client_id and query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and len(query["code_challenge"]) == 43


def test_an_itil_agent_signs_in_as_insights_user_and_lands_on_next(world, bridge_http):
    landed = sign_in(world, bridge_http, "agent.itil", next_path="/incidents/abc/m365")

    assert landed.status_code == 303 and landed.headers["location"] == "/incidents/abc/m365"
    me = whoami(bridge_http)
    assert me["user_name"] == "agent.itil@localhost" and me["roles"] == [INSIGHTS_USER]
    with transaction(world.bridge.sessions) as session:
        account = session.scalars(select(InstanceAccount)).one()
        assert account.instance_user_sys_id == world.instance_user_id("agent.itil")
        assert account.instance_url == world.instance_url
        assert users.by_id(session, account.user_id).password_hash is None


def test_an_instance_admin_gets_the_app_administrator_role(world, bridge_http):
    sign_in(world, bridge_http, "agent.admin")

    assert whoami(bridge_http)["roles"] == [APP_ADMINISTRATOR]


def test_signing_in_again_keeps_the_user_and_follows_the_instance_roles(world, bridge_http):
    sign_in(world, bridge_http, "agent.itil")
    first = whoami(bridge_http)["user_id"]
    with transaction(world.instance.sessions, write=True) as session:
        agent = users.by_user_name(session, "agent.itil")
        user_service.grant(session, agent, ADMIN)
        user_service.revoke(session, agent, ITIL)

    sign_in(world, bridge_http, "agent.itil")

    again = whoami(bridge_http)
    assert again["user_id"] == first and again["roles"] == [APP_ADMINISTRATOR]


def test_an_agent_without_a_mapped_role_is_told_which_roles_are_needed(world, bridge_http):
    refused = sign_in(world, bridge_http, "agent.none")

    assert refused.status_code == 403
    assert "agent.none has none of the roles" in refused.text
    assert "admin, itil, sn_incident_write" in refused.text
    assert SESSION_COOKIE not in bridge_http.cookies
    with transaction(world.bridge.sessions) as session:
        assert session.scalars(select(InstanceAccount)).first() is None


def test_a_state_from_another_sign_in_is_refused(world, bridge_http):
    redirect = approve_at_instance(world, start(bridge_http), "agent.itil")
    start(bridge_http)  # the browser began another sign-in: the first answer no longer belongs to it

    refused = back_at_bridge(bridge_http, redirect)

    assert refused.status_code == 400 and "does not belong to this browser" in refused.text
    assert SESSION_COOKIE not in bridge_http.cookies


def test_an_answer_without_the_pending_cookie_is_refused(world, bridge_http):
    redirect = approve_at_instance(world, start(bridge_http), "agent.itil")
    with TestClient(create_app(context=world.bridge)) as other_browser:
        refused = back_at_bridge(other_browser, redirect)

    assert refused.status_code == 400 and "not started in this browser" in refused.text


@pytest.mark.parametrize(
    "target", ["//evil.example.com/x", "https://evil.example.com/", "/\\evil.example.com"]
)
def test_next_is_only_ever_a_local_path(world, bridge_http, target):
    landed = sign_in(world, bridge_http, "agent.itil", next_path=target)

    assert landed.status_code == 303 and landed.headers["location"] == "/"


def test_a_denied_consent_signs_nobody_in(world, bridge_http):
    redirect = approve_at_instance(world, start(bridge_http), "agent.itil", decision="deny")

    refused = back_at_bridge(bridge_http, redirect)

    assert refused.status_code == 403 and "did not sign you in: The user denied access." in refused.text
    assert SESSION_COOKIE not in bridge_http.cookies


def test_a_user_locked_on_the_connector_stays_out(world, bridge_http):
    sign_in(world, bridge_http, "agent.itil")
    with transaction(world.bridge.sessions, write=True) as session:
        account = session.scalars(select(InstanceAccount)).one()
        users.by_id(session, account.user_id).locked = True

    refused = sign_in(world, bridge_http, "agent.itil")

    assert refused.status_code == 403 and "deactivated or locked" in refused.text


def test_the_login_page_offers_the_instance_sign_in_only_when_set_up(world, bridge_http):
    assert "Sign in with ServiceNow" in bridge_http.get("/login").text
    with transaction(world.bridge.sessions, write=True) as session:
        signin.clear_client(session)

    assert "Sign in with ServiceNow" not in bridge_http.get("/login").text
    not_set_up = bridge_http.get("/auth/servicenow/login", follow_redirects=False)
    assert not_set_up.status_code == 404 and "servicenow-signin set" in not_set_up.text


def test_role_mapping_follows_the_settings(tmp_path):
    settings = ConnectorSettings(
        data_dir=tmp_path,
        servicenow_roles_insights_user=["x_custom_reader"],
        servicenow_roles_administrator=["x_custom_lead"],
    )

    assert signin.map_roles(settings, frozenset({"itil"})) == frozenset()
    assert signin.map_roles(settings, frozenset({"x_custom_reader"})) == {INSIGHTS_USER}
    both = signin.map_roles(settings, frozenset({"x_custom_reader", "x_custom_lead"}))
    assert both == {INSIGHTS_USER, APP_ADMINISTRATOR}
