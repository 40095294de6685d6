from m365bridge.connector.logs import system_log
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import login, make_user


def test_the_page_filters_by_level_for_administrators(connector_context, connector_client):
    make_user(connector_context, "root", ["admin"])
    with transaction(connector_context.sessions) as session:
        system_log.write(session, "info", "routine note")
        system_log.write(session, "error", "the setup failed")
    login(connector_client, "root")

    page = connector_client.get("/logs/system?level=error")

    assert page.status_code == 200
    assert "the setup failed" in page.text and "routine note" not in page.text


def test_insights_users_may_not_read_the_system_log(connector_context, connector_client):
    make_user(connector_context, "agent", ["x_mioms_m365_assis.insights_user"])
    login(connector_client, "agent")

    assert connector_client.get("/logs/system").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(connector_client):
    response = connector_client.get("/logs/system?level=error", follow_redirects=False)

    assert response.headers["location"].startswith("/login?next=/logs/system")
