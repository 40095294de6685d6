"""Each misconfiguration gets its own message, saying what to fix and where."""

import dataclasses

from m365bridge.cloud.integration import service as cloud_integration
from m365bridge.connector.auth.oidc import service as oidc_config
from m365bridge.connector.registry import service as registry
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.setup.noninteractive import run_setup
from m365bridge.connector.users import repository as users
from m365bridge.connector.users import service as user_service
from m365bridge.connector.users.roles import INCIDENT_MANAGER
from m365bridge.shared.db import transaction


def failures(outcome):
    steps = [f"{s.step}: {s.message}" for s in outcome.steps if not s.ok]
    checks = [f"{c.name}: {c.message}" for c in (outcome.report.checks if outcome.report else []) if not c.ok]
    return steps + checks


def prepared(world, mode):
    inbound = world.register(mode)
    world.configure_cloud(mode, inbound)
    return inbound, world.setup_file(mode, inbound)


def test_a_wrong_outbound_secret_names_the_entity_and_the_app_and_stores_nothing(world):
    _, config = prepared(world, Mode.INSIGHTS)
    config["outbound"]["client_secret"] = "not-the-secret"

    outcome = run_setup(world.connector, Mode.INSIGHTS, config)

    app_id = world.record.apps["outbound"]["client_id"]
    assert failures(outcome) == [
        "Outbound OAuth provider: The client secret of OAuth entity 'Azure' was refused by the identity "
        f"service (AADSTS7000215); create a new secret for app {app_id} (its 'Certificates & secrets') and "
        "paste its Value into the OAuth entity."
    ]
    with transaction(world.connector.sessions) as session:
        assert registry.list_entities(session) == []


def test_an_outbound_app_the_support_service_does_not_know_is_reported(world):
    _, config = prepared(world, Mode.INSIGHTS)
    with transaction(world.cloud.sessions) as session:
        other = world.record.apps["rest_user"]["client_id"]
        cloud_integration.save_basic_information(session, world.record.tenant["id"], app_id=other)

    outcome = run_setup(world.connector, Mode.INSIGHTS, config)

    [message] = failures(outcome)
    assert message.startswith("Support integration: The support service does not accept this connector's")
    assert "enter it as 'Application ID to issue Auth Token'" in message
    assert not outcome.confirmed


def test_a_repository_whose_endpoint_is_another_connector_is_reported(world):
    _, config = prepared(world, Mode.BASIC)
    tenant = world.record.tenant["id"]
    with transaction(world.cloud.sessions) as session:
        found = cloud_integration.get_repository(session, tenant, "contoso-servicenow")
        data = cloud_integration.RepositoryInput(
            "contoso-servicenow",
            "https://other.example.com/api/x_mioms_m365_assis/inbound",
            found.auth_type,
            client_id=found.client_id,
            rest_username=found.rest_username,
        )
        cloud_integration.update_repository(session, tenant, "contoso-servicenow", data, world.cloud.secrets)

    outcome = run_setup(world.connector, Mode.BASIC, config)

    assert failures(outcome) == [
        "Repository: Repository 'contoso-servicenow' has Endpoint "
        "https://other.example.com/api/x_mioms_m365_assis/inbound, which is not this connector; set it to "
        f"{world.record.connector_url}/api/x_mioms_m365_assis/inbound in the admin center's Support "
        "integration page (Repositories)."
    ]


def test_an_integration_user_that_is_not_web_service_only_is_refused(world):
    inbound, config = prepared(world, Mode.BASIC)
    with transaction(world.connector.sessions) as session:
        user = users.by_user_name(session, inbound["user"])
        user_service.update_user(session, user, user_service.UserChanges(web_service_access_only=False))

    outcome = run_setup(world.connector, Mode.BASIC, config)

    [message] = failures(outcome)
    assert "User 'm365_integration' is not flagged 'Web service access only'" in message


def test_an_integration_user_without_incident_manager_is_refused(world):
    inbound, config = prepared(world, Mode.BASIC)
    with transaction(world.connector.sessions) as session:
        user_service.revoke(session, users.by_user_name(session, inbound["user"]), INCIDENT_MANAGER)

    outcome = run_setup(world.connector, Mode.BASIC, config)

    [message] = failures(outcome)
    assert "User 'm365_integration' lacks the 'incident_manager' role" in message


def test_an_oidc_metadata_url_that_does_not_answer_is_refused_at_step_2(world):
    _, config = prepared(world, Mode.AAD)
    with transaction(world.connector.sessions) as session:
        provider = oidc_config.get_provider(session, "Contoso Azure")
        provider.metadata_url = "https://localhost:9/unreachable/.well-known/openid-configuration"

    outcome = run_setup(world.connector, Mode.AAD, config)

    [message] = failures(outcome)
    assert message.startswith(
        "Inbound OAuth provider: The OIDC metadata URL https://localhost:9/unreachable/.well-known/"
        "openid-configuration does not answer with an OpenID configuration"
    )


def test_an_audience_that_does_not_match_the_oidc_entity_is_reported(world):
    inbound, config = prepared(world, Mode.AAD)
    tenant, wrong = world.record.tenant["id"], world.record.apps["outbound"]["client_id"]
    with transaction(world.cloud.sessions) as session:
        found = cloud_integration.get_repository(session, tenant, "contoso-servicenow")
        data = dataclasses.replace(
            cloud_integration.RepositoryInput(found.repository_id, found.endpoint, found.auth_type),
            client_id=found.client_id,
            token_audience=wrong,
        )
        cloud_integration.update_repository(session, tenant, "contoso-servicenow", data, world.cloud.secrets)

    outcome = run_setup(world.connector, Mode.AAD, config)

    [message] = failures(outcome)
    assert message.startswith(
        f"Repository: Repository 'contoso-servicenow' asks for tokens for audience '{wrong}', but the OIDC "
        f"entity accepts '{inbound['client_id']}'"
    )


def test_a_wrong_basic_mode_password_on_the_cloud_side_is_explained(world):
    _, config = prepared(world, Mode.BASIC)
    tenant = world.record.tenant["id"]
    with transaction(world.cloud.sessions) as session:
        found = cloud_integration.get_repository(session, tenant, "contoso-servicenow")
        data = cloud_integration.RepositoryInput(
            found.repository_id,
            found.endpoint,
            found.auth_type,
            client_id=found.client_id,
            rest_username=found.rest_username,
            rest_password="not-the-password",
        )
        cloud_integration.update_repository(session, tenant, "contoso-servicenow", data, world.cloud.secrets)

    outcome = run_setup(world.connector, Mode.BASIC, config)

    [message] = failures(outcome)
    assert message.startswith("Inbound call (probe): The support service could not call this connector")
    assert "the Rest user password on the cloud side is not the integration user's password" in message
