"""The setup's Service desk step over HTTP and from the setup file, against the stand-in instance."""

from __future__ import annotations

from html import unescape

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from m365bridge.cli import app
from m365bridge.connector.app import create_app
from m365bridge.connector.servicenow import service as instance
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.setup.noninteractive import run_setup
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import hidden_field, login, make_user
from tests.connector.servicenow.conftest import (  # noqa: F401 (fixtures)
    INTEGRATION,
    PASSWORD,
    bridge,
    stand_in,
)

PAGE = "/m365/setup/service-desk"


@pytest.fixture
def admin(bridge):  # noqa: F811
    make_user(bridge, "desk-admin", ["admin"])
    with TestClient(create_app(context=bridge)) as client:
        login(client, "desk-admin")
        yield client


def post(client, path, **fields):
    csrf = hidden_field(client.get(PAGE).text, "csrf_token")
    return client.post(path, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def basic_form(stand_in, **overrides):  # noqa: F811
    form = {
        "kind": "servicenow",
        "url": stand_in.url,
        "auth_type": "basic",
        "user_name": INTEGRATION,
        "password": PASSWORD,
        "agent_view": "both",
    }
    return {**form, **overrides}


def stored(bridge):  # noqa: F811
    with transaction(bridge.sessions) as session:
        connection = instance.find_connection(session)
        if connection is None:
            return None
        return {
            "url": connection.url,
            "enabled": connection.enabled,
            "agent_view": connection.agent_view,
            "auth_type": connection.auth_type,
            "password": connection.password,
        }


def test_an_admin_picks_the_instance_and_test_connection_passes_all_four_checks(admin, bridge, stand_in):  # noqa: F811
    saved = post(admin, PAGE, **basic_form(stand_in))
    assert saved.status_code == 303, saved.text

    row = stored(bridge)
    assert row["url"] == stand_in.url and row["enabled"] and row["agent_view"] == "both"
    assert row["password"] and PASSWORD not in row["password"]  # encrypted at rest
    page = admin.get(PAGE).text
    assert f"ServiceNow instance {stand_in.url}" in page
    assert PASSWORD not in page and "leave blank to keep" in page  # never echoed back

    tested = post(admin, f"{PAGE}/test")
    text = unescape(tested.text)
    assert tested.status_code == 200
    assert text.count('class="check-passed"') == 4, text
    assert "Test connection passed." in text


def test_a_wrong_password_fails_the_credentials_check_with_what_to_fix(admin, bridge, stand_in):  # noqa: F811
    assert post(admin, PAGE, **basic_form(stand_in, password="not-the-password")).status_code == 303

    text = unescape(post(admin, f"{PAGE}/test").text)

    assert 'class="check-failed"><td>Credentials accepted</td>' in text
    assert "Test connection failed" in text
    assert "not-the-password" not in text


def test_a_blank_password_keeps_the_stored_one_and_builtin_switches_the_instance_off(
    admin,
    bridge,  # noqa: F811
    stand_in,  # noqa: F811
):
    post(admin, PAGE, **basic_form(stand_in))
    before = stored(bridge)

    assert post(admin, PAGE, **basic_form(stand_in, password="", agent_view="tab")).status_code == 303
    after = stored(bridge)
    assert after["password"] == before["password"] and after["agent_view"] == "tab"

    assert post(admin, PAGE, kind="builtin").status_code == 303
    off = stored(bridge)
    assert off["enabled"] is False and off["url"] == stand_in.url  # kept for switching back
    assert "Built-in service desk" in admin.get(PAGE).text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "http://example.com"}, "https"),
        ({"url": ""}, "Enter the instance URL"),
        ({"password": ""}, "needs a password"),
        ({"auth_type": "kerberos"}, "Auth type 'kerberos' is not one of"),
        ({"auth_type": "oauth_password"}, "--client-id"),
        ({"agent_view": "popup"}, "Agent view 'popup' is not one of"),
        ({"kind": "remedy"}, "Service desk 'remedy' is not one of"),
    ],
)
def test_bad_input_says_what_is_wrong_and_stores_nothing(admin, bridge, stand_in, overrides, message):  # noqa: F811
    refused = post(admin, PAGE, **basic_form(stand_in, **overrides))

    assert refused.status_code == 400
    assert message in unescape(refused.text)
    assert stored(bridge) is None


def test_a_refused_change_leaves_the_stored_connection_as_it_was(admin, bridge, stand_in):  # noqa: F811
    post(admin, PAGE, **basic_form(stand_in))
    before = stored(bridge)

    refused = post(admin, PAGE, **basic_form(stand_in, auth_type="oauth_password", agent_view="both"))

    assert refused.status_code == 400 and stored(bridge) == before


def test_the_forms_need_the_csrf_token_and_an_admin(admin, bridge, stand_in):  # noqa: F811
    refused = admin.post(PAGE, data=basic_form(stand_in), follow_redirects=False)
    assert refused.status_code == 403 and stored(bridge) is None

    make_user(bridge, "desk-agent", ["itil"])
    with TestClient(create_app(context=bridge)) as agent:
        login(agent, "desk-agent")
        assert agent.get(PAGE, follow_redirects=False).status_code in (302, 303, 403)


def test_test_connection_without_an_instance_says_how_to_configure_one(admin):
    text = unescape(post(admin, f"{PAGE}/test").text)
    assert "no ServiceNow instance is configured" in text


def test_the_setup_file_section_configures_the_instance(bridge, stand_in):  # noqa: F811
    config = {
        "service_desk": {
            "kind": "servicenow",
            "url": stand_in.url,
            "auth_type": "oauth_password",
            "user_name": INTEGRATION,
            "password": PASSWORD,
            "client_id": stand_in.client_id,
            "client_secret": stand_in.client_secret,
            "agent_view": "work_notes",
        }
    }

    outcome = run_setup(bridge, Mode.NONE, config)

    desk = [step for step in outcome.steps if step.step == "Service desk"]
    assert desk and desk[0].ok, outcome.steps
    row = stored(bridge)
    assert row["enabled"] and row["auth_type"] == "oauth_password"


def test_the_setup_file_section_refuses_unknown_keys_and_stores_nothing(bridge, stand_in):  # noqa: F811
    config = {"service_desk": {"kind": "servicenow", "url": stand_in.url, "pasword": PASSWORD}}

    outcome = run_setup(bridge, Mode.NONE, config)

    assert not outcome.confirmed
    assert "unknown keys pasword" in outcome.steps[-1].message
    assert stored(bridge) is None


def test_setup_status_names_the_service_desk(bridge, stand_in):  # noqa: F811
    data_dir = str(bridge.settings.data_dir)
    database = bridge.settings.database_url
    env = {"M365BRIDGE_CONNECTOR_DATABASE_URL": database} if database else {}

    def status() -> str:
        return (
            CliRunner().invoke(app, ["connector", "setup", "status", "--data-dir", data_dir], env=env).output
        )

    assert "service desk: Built-in service desk" in status()
    desk = {"kind": "servicenow", "url": stand_in.url, "auth_type": "basic", "user_name": INTEGRATION}
    run_setup(bridge, Mode.NONE, {"service_desk": {**desk, "password": PASSWORD}})
    shown = status()
    assert f"service desk: ServiceNow instance {stand_in.url}" in shown and PASSWORD not in shown
