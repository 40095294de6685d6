"""Messages #2 and #3 appear exactly when the setup is unfinished, or finished but not confirmed."""

import base64

import pytest
from fastapi.testclient import TestClient

from m365bridge.connector.app import create_app
from m365bridge.connector.logs import system_log
from m365bridge.connector.setup import service
from m365bridge.connector.setup.gate import (
    SETUP_INCOMPLETE,
    SETUP_NOT_CONFIRMED,
    SetupIncomplete,
    SetupNotConfirmed,
    require_setup,
)
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.setup.noninteractive import run_setup
from m365bridge.connector.users import service as user_service
from m365bridge.shared.db import transaction

CHECK = "/api/x_mioms_m365_assis/v1/setup/check"


def gate(context, feature):
    with transaction(context.sessions) as session:
        return require_setup(session, feature=feature)


def app_log(context):
    with transaction(context.sessions) as session:
        return [line.message for line in system_log.search(session, source="x_mioms_m365_assis")]


def test_before_any_setup_every_feature_says_message_2_and_logs_it(connector_context):
    for feature in ("insights", "solutions", "cases"):
        with pytest.raises(SetupIncomplete) as raised:
            gate(connector_context, feature)
        assert str(raised.value) == SETUP_INCOMPLETE
    assert app_log(connector_context).count(SETUP_INCOMPLETE) == 3


def test_continue_without_setup_allows_only_basic_solutions(connector_context):
    with transaction(connector_context.sessions) as session:
        service.start(session, connector_context, Mode.NONE)

    assert gate(connector_context, "solutions").uses_token is False
    for feature in ("insights", "cases"):
        with pytest.raises(SetupIncomplete):
            gate(connector_context, feature)


def test_finished_but_untested_says_message_3_and_a_passed_test_plus_next_confirms(world):
    inbound = world.register(Mode.INSIGHTS)
    config = world.setup_file(Mode.INSIGHTS, inbound)
    outcome = run_setup(world.connector, Mode.INSIGHTS, config)  # the cloud side is not configured yet
    assert not outcome.confirmed

    with pytest.raises(SetupNotConfirmed) as raised:
        gate(world.connector, "insights")
    assert str(raised.value) == SETUP_NOT_CONFIRMED
    assert SETUP_NOT_CONFIRMED in app_log(world.connector)

    world.configure_cloud(Mode.INSIGHTS, inbound)
    config["outbound"] = {"entity": "Azure"}  # made by the first run
    assert run_setup(world.connector, Mode.INSIGHTS, config).confirmed
    assert gate(world.connector, "insights").mode is Mode.INSIGHTS
    with pytest.raises(SetupIncomplete):
        gate(world.connector, "cases")  # Insights only never opens cases


def test_changing_a_step_after_confirmation_brings_message_3_back(world):
    inbound = world.register(Mode.INSIGHTS)
    world.configure_cloud(Mode.INSIGHTS, inbound)
    assert run_setup(world.connector, Mode.INSIGHTS, world.setup_file(Mode.INSIGHTS, inbound)).confirmed

    with transaction(world.connector.sessions) as session:
        service.set_repository(session, "contoso-servicenow")

    with pytest.raises(SetupNotConfirmed):
        gate(world.connector, "solutions")


def test_the_setup_check_api_answers_with_the_messages(connector_context):
    with transaction(connector_context.sessions) as session:
        user_service.create_user(session, "agent", password="agent-password", roles=["itil"])
    basic = {"Authorization": "Basic " + base64.b64encode(b"agent:agent-password").decode()}
    with TestClient(create_app(context=connector_context)) as client:
        refused = client.get(CHECK, params={"feature": "solutions"}, headers=basic)
        assert refused.status_code == 409
        assert refused.json()["error"]["detail"] == SETUP_INCOMPLETE

        with transaction(connector_context.sessions) as session:
            service.start(session, connector_context, Mode.NONE)
        allowed = client.get(CHECK, params={"feature": "solutions"}, headers=basic)
        assert allowed.status_code == 200
        assert allowed.json()["result"] == {"feature": "solutions", "mode": "none", "uses_token": False}
