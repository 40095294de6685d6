"""``grant_type=client_credentials`` on the built-in service desk: an access token for the client's run-as
user, and no refresh token (as ServiceNow answers it)."""

from __future__ import annotations

from typer.testing import CliRunner

from m365bridge.cli import app as cli_app
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.users.roles import ITIL
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import make_user


def new_client(context, run_as: str | None = None):
    with transaction(context.sessions) as session:
        client, secret = oauth_server.create_client(session, "integration")
        if run_as is not None:
            oauth_server.set_run_as(session, client, run_as)
        return client.client_id, secret


def grant(http, client_id, secret):
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return http.post("/oauth_token.do", data=form)


def test_the_token_acts_as_the_run_as_user_and_has_no_refresh_token(connector_client, connector_context):
    user_id = make_user(connector_context, "m365.integration", [ITIL], web_service_access_only=True)
    client_id, secret = new_client(connector_context, run_as="m365.integration")

    issued = grant(connector_client, client_id, secret)

    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert "refresh_token" not in body and body["expires_in"] == 1800
    me = connector_client.get(
        "/api/now/ui/user/current_user", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["result"]["user_sys_id"] == user_id


def test_a_client_without_run_as_user_is_refused(connector_client, connector_context):
    client_id, secret = new_client(connector_context)

    refused = grant(connector_client, client_id, secret)

    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"


def test_a_locked_run_as_user_is_refused(connector_client, connector_context):
    make_user(connector_context, "m365.integration", [ITIL])
    client_id, secret = new_client(connector_context, run_as="m365.integration")
    with transaction(connector_context.sessions) as session:
        oauth_server.users.by_user_name(session, "m365.integration").locked = True

    refused = grant(connector_client, client_id, secret)

    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_the_cli_sets_the_run_as_user_and_the_redirect_url(connector_settings, connector_context):
    make_user(connector_context, "m365.integration", [ITIL])
    client_id, _secret = new_client(connector_context)
    # The CLI builds its own context from the data folder; on the PostgreSQL pass it must reach the same
    # database as the fixture, which the environment says.
    database = connector_settings.database_url
    runner = CliRunner(env={"M365BRIDGE_CONNECTOR_DATABASE_URL": database} if database else {})
    data_dir = ["--data-dir", str(connector_settings.data_dir)]

    run_as = runner.invoke(
        cli_app, ["connector", "oauth-clients", "set-run-as", client_id, "m365.integration", *data_dir]
    )
    redirect = runner.invoke(
        cli_app,
        [
            "connector",
            "oauth-clients",
            "set-redirect-url",
            client_id,
            "https://bridge.example.com/cb",
            *data_dir,
        ],
    )
    bad = runner.invoke(
        cli_app, ["connector", "oauth-clients", "set-redirect-url", client_id, "javascript:x", *data_dir]
    )
    listed = runner.invoke(cli_app, ["connector", "oauth-clients", "list", *data_dir])

    assert run_as.exit_code == 0 and redirect.exit_code == 0, run_as.output + redirect.output
    assert bad.exit_code != 0 and "redirect URL" in str(bad.exception)  # main() prints it as one line
    assert "https://bridge.example.com/cb" in listed.output
