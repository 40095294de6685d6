from m365bridge.connector.logs import system_log
from m365bridge.connector.users.roles import INCIDENT_MANAGER
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API, PASSWORD, basic, make_user


def log_messages(context):
    with transaction(context.sessions) as session:
        return [line.message for line in system_log.search(session)]


def test_basic_credentials_authenticate_the_user(connector_context, connector_client):
    make_user(connector_context, "integration", [INCIDENT_MANAGER], web_service_access_only=True)

    response = connector_client.get(f"{API}/whoami", headers=basic("integration"))

    assert response.status_code == 200
    assert response.json()["result"]["user_name"] == "integration"
    assert response.json()["result"]["method"] == "basic"


def test_wrong_password_is_refused_servicenow_style_and_logged(connector_context, connector_client):
    make_user(connector_context, "integration")

    response = connector_client.get(f"{API}/whoami", headers=basic("integration", "wrong password"))

    assert response.status_code == 401
    assert response.json() == {
        "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
        "status": "failure",
    }
    assert any("Basic auth: bad credentials" in m for m in log_messages(connector_context))


def test_no_credentials_is_401(connector_client):
    assert connector_client.get(f"{API}/whoami").status_code == 401


def test_locked_user_is_refused(connector_context, connector_client):
    make_user(connector_context, "someone")
    with transaction(connector_context.sessions) as session:
        from m365bridge.connector.users import service

        service.update_user(session, service.get_user(session, "someone"), service.UserChanges(locked=True))

    assert connector_client.get(f"{API}/whoami", headers=basic("someone", PASSWORD)).status_code == 401


def test_repeated_failures_lock_out_with_429(connector_context, connector_client):
    make_user(connector_context, "target")
    limit = connector_context.settings.lockout_account_failures
    for _ in range(limit):
        connector_client.get(f"{API}/whoami", headers=basic("target", "guess"))

    response = connector_client.get(f"{API}/whoami", headers=basic("target", PASSWORD))

    assert response.status_code == 429
    assert any("throttled" in m for m in log_messages(connector_context))
