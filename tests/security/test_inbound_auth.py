"""The connector's inbound auth as an outsider attacks it (issue 15): lock-outs, stale credentials, CSRF."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from m365bridge.cli import app as cli_app
from m365bridge.connector.app import create_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import system_log
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.users import service
from m365bridge.connector.users.roles import ADMIN
from m365bridge.shared import passwords
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API, basic, login, make_user, page_csrf
from tests.connector.auth.test_oauth_token import password_grant, refresh_grant, setup_integration

STRANGER = ("203.0.113.66", 40000)
INTEGRATION = ("40.83.232.243", 40000)
NEW_PASSWORD = "a new passphrase entirely"


def test_a_strangers_failures_never_lock_the_integration_out(connector_context, record_property):
    make_user(connector_context, "integration", ["incident_manager"], web_service_access_only=True)
    limit = connector_context.settings.lockout_account_failures
    app = create_app(context=connector_context)
    with TestClient(app, client=STRANGER) as stranger, TestClient(app, client=INTEGRATION) as integration:
        guesses = [
            stranger.get(f"{API}/whoami", headers=basic("integration", f"guess {n}")).status_code
            for n in range(limit + 3)
        ]
        from_integration = integration.get(f"{API}/whoami", headers=basic("integration"))
        # The stranger's address stays throttled for this account, even with the right password.
        from_stranger = stranger.get(f"{API}/whoami", headers=basic("integration"))

    record_property("tally:lockout_guesses", len(guesses))
    assert guesses[:limit] == [401] * limit
    assert set(guesses[limit:]) == {429}
    assert from_integration.status_code == 200
    assert from_stranger.status_code == 429


def _change_by_api(context, http, data_dir):
    make_user(context, "root", [ADMIN])
    response = http.put(
        f"{API}/users/integration/password", json={"password": NEW_PASSWORD}, headers=basic("root")
    )
    assert response.status_code == 204


def _change_by_page(context, http, data_dir):
    make_user(context, "root", [ADMIN])
    login(http, "root")
    with transaction(context.sessions) as session:
        user_id = service.get_user(session, "integration").id
    form = {"csrf_token": page_csrf(http, "/users"), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert http.post(f"/users/{user_id}/password", data=form, follow_redirects=False).status_code == 303


def _change_by_cli(context, http, data_dir):
    env = {"M365BRIDGE_NEW_PASSWORD": NEW_PASSWORD}
    result = CliRunner().invoke(
        cli_app, ["connector", "users", "set-password", "integration", "--data-dir", data_dir], env=env
    )
    assert result.exit_code == 0, result.output


def _deactivate_and_reactivate_by_api(context, http, data_dir):
    make_user(context, "root", [ADMIN])
    for active in (False, True):  # what was revoked stays revoked once the account is back
        response = http.patch(f"{API}/users/integration", json={"active": active}, headers=basic("root"))
        assert response.status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_change_by_api, id="password-by-api"),
        pytest.param(_change_by_page, id="password-by-page"),
        pytest.param(_change_by_cli, id="password-by-cli"),
        pytest.param(_deactivate_and_reactivate_by_api, id="deactivation-by-api"),
    ],
)
def test_a_password_change_or_deactivation_revokes_tokens_and_sessions(tmp_path, change):
    data_dir = tmp_path / "connector"
    context = ConnectorContext.build(ConnectorSettings(data_dir=data_dir, auth_cache_seconds=0))
    client_id, secret = setup_integration(context)
    make_user(context, "agent", ["itil"])
    with TestClient(create_app(context=context)) as http, TestClient(create_app(context=context)) as ui:
        tokens = password_grant(http, client_id, secret).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert http.get(f"{API}/whoami", headers=bearer).status_code == 200
        with transaction(context.sessions, write=True) as session:  # the UI session of the same user
            service.update_user(
                session,
                service.get_user(session, "integration"),
                service.UserChanges(web_service_access_only=False),
            )
        assert login(ui, "integration").status_code == 303

        change(context, http, str(data_dir))

        assert http.get(f"{API}/whoami", headers=bearer).status_code == 401
        assert refresh_grant(http, client_id, secret, tokens["refresh_token"]).status_code == 401
        assert ui.get("/", follow_redirects=False).status_code == 303  # back to the sign-in page
    context.close()


class _PausingHasher(PasswordHasher):
    """Holds each verification until the test says so, reporting whether it was released in time."""

    def __init__(self) -> None:
        super().__init__()
        self.verifying = threading.Event()
        self.release = threading.Event()
        self.released_in_time: list[bool] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifying.set()
        self.released_in_time.append(self.release.wait(timeout=5))
        return super().verify(hash, password)


@pytest.fixture
def pausing_hasher(monkeypatch):
    hasher = _PausingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    return hasher


def test_another_writer_commits_while_a_basic_password_is_being_checked(
    connector_context, connector_client, pausing_hasher
):
    make_user(connector_context, "integration", ["incident_manager"], web_service_access_only=True)
    answers: list[int] = []
    call = threading.Thread(
        target=lambda: answers.append(
            connector_client.get(f"{API}/whoami", headers=basic("integration")).status_code
        )
    )
    call.start()
    assert pausing_hasher.verifying.wait(timeout=10)

    with transaction(connector_context.sessions, write=True) as session:  # waits if the check holds the turn
        system_log.write(session, "info", "a writer during the Basic check")
    pausing_hasher.release.set()
    call.join(timeout=30)

    assert answers == [200]
    assert pausing_hasher.released_in_time == [True]


def test_a_session_api_read_without_the_csrf_header_is_refused(connector_context, connector_client):
    make_user(connector_context, "root", [ADMIN])
    login(connector_client, "root")
    csrf = page_csrf(connector_client)

    without = connector_client.get(f"{API}/whoami")
    forged = connector_client.get(f"{API}/whoami", headers={"X-CSRF-Token": "forged"})
    with_header = connector_client.get(f"{API}/whoami", headers={"X-CSRF-Token": csrf})

    assert (without.status_code, forged.status_code) == (403, 403)
    assert without.json()["error"]["detail"] == "Missing or invalid X-CSRF-Token header"
    assert with_header.status_code == 200
