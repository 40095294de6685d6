"""The Users pages as an admin uses them: create, grant a role, lock, unlock, reset a password."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from m365bridge.connector.users import repository
from m365bridge.connector.users.roles import ADMIN, INSIGHTS_USER, ITIL
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import PASSWORD, basic, login, make_user, page_csrf


@pytest.fixture
def admin(connector_context, connector_client) -> TestClient:
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    return connector_client


def post(client: TestClient, path: str, data: dict[str, object]):
    return client.post(path, data={"csrf_token": page_csrf(client, "/users"), **data}, follow_redirects=False)


def stored(context, user_name: str):
    with transaction(context.sessions) as session:
        user = repository.by_user_name(session, user_name)
        assert user is not None
        return user.id, user.roles, user.locked, user.active, user.name


def test_admin_creates_a_user_with_roles_and_finds_it_by_role(connector_context, admin):
    created = post(
        admin,
        "/users/new",
        {"user_name": "agent.smith", "name": "Agent Smith", "password": PASSWORD, "roles": [ITIL]},
    )

    assert created.status_code == 303
    _, roles, *_ = stored(connector_context, "agent.smith")
    assert roles == {ITIL}
    by_role = admin.get("/users", params={"role": ITIL}).text
    assert "agent.smith" in by_role and ">root</a>" not in by_role


def test_a_bad_new_user_shows_the_error_at_the_top_of_the_form(admin):
    response = post(admin, "/users/new", {"user_name": "short.pw", "password": "short"})

    assert response.status_code == 400
    assert 'class="banner banner-error"' in response.text and "too short" in response.text


def test_admin_edits_a_user_and_changes_its_roles(connector_context, admin):
    user_id = make_user(connector_context, "agent", [ITIL])

    response = post(admin, f"/users/{user_id}", {"name": "Agent", "active": "true", "roles": [INSIGHTS_USER]})

    assert response.status_code == 303
    _, roles, _, active, name = stored(connector_context, "agent")
    assert (roles, active, name) == ({INSIGHTS_USER}, True, "Agent")


def test_admin_cannot_remove_their_own_admin_role(connector_context, admin):
    root_id, *_ = stored(connector_context, "root")

    response = post(admin, f"/users/{root_id}", {"active": "true", "roles": [ITIL]})

    assert response.status_code == 400 and "own admin role" in response.text
    assert stored(connector_context, "root")[1] == {ADMIN}


def test_locking_refuses_the_users_credentials_and_unlocking_restores_them(connector_context, admin):
    user_id = make_user(connector_context, "agent", [INSIGHTS_USER])

    assert post(admin, f"/users/{user_id}/lock", {}).status_code == 303
    locked_call = admin.get("/api/x_mioms_m365_assis/v1/whoami", headers=basic("agent"))
    assert post(admin, f"/users/{user_id}/unlock", {}).status_code == 303
    unlocked_call = admin.get("/api/x_mioms_m365_assis/v1/whoami", headers=basic("agent"))

    assert (locked_call.status_code, unlocked_call.status_code) == (401, 200)


def test_reset_password_replaces_the_old_one(connector_context, admin):
    user_id = make_user(connector_context, "agent", [INSIGHTS_USER])
    new_password = "a brand new passphrase"

    response = post(admin, f"/users/{user_id}/password", {"password": new_password, "confirm": new_password})

    assert response.status_code == 303
    whoami = "/api/x_mioms_m365_assis/v1/whoami"
    assert admin.get(whoami, headers=basic("agent", new_password)).status_code == 200
    assert admin.get(whoami, headers=basic("agent")).status_code == 401


def test_a_non_admin_gets_403(connector_context, connector_client):
    make_user(connector_context, "agent", [ITIL])
    login(connector_client, "agent")

    assert connector_client.get("/users").status_code == 403


def test_a_form_without_csrf_token_is_refused(connector_context, admin):
    response = admin.post("/users/new", data={"user_name": "x", "password": PASSWORD}, follow_redirects=False)

    assert response.status_code == 403
    with transaction(connector_context.sessions) as session:
        assert repository.by_user_name(session, "x") is None
