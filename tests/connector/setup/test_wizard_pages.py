"""The wizard's forms over HTTP, from an empty connector to "Test connection passed", for every mode."""

from html import unescape

import pytest
from fastapi.testclient import TestClient

from m365bridge.connector.app import create_app
from m365bridge.connector.setup.gate import require_setup
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.setup.service import CROSS_SCOPE_REFUSAL
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import hidden_field, login, make_user

ANSWERS = {
    Mode.BASIC: {"basic_auth_allowed": "yes", "single_tenant": "yes"},
    Mode.AAD: {"basic_auth_allowed": "no", "single_tenant": "yes"},
    Mode.INSIGHTS: {"basic_auth_allowed": "no", "single_tenant": "no"},
    Mode.NONE: {"without_setup": "yes"},
}


def post(client, path, **fields):
    csrf = hidden_field(client.get("/m365/setup").text, "csrf_token")
    return client.post(path, data={"csrf_token": csrf, **fields})


def inbound_fields(mode, inbound):
    if mode is Mode.BASIC:
        return {"oauth_client": inbound["client_id"]}, {"user": inbound["user"]}
    if mode is Mode.AAD:
        return {"external_oidc": "yes", "oidc_entity": inbound["client_id"]}, {"user": inbound["user"]}
    return {"skip": "yes"}, {"skip": "yes"}


@pytest.mark.parametrize("mode", list(Mode))
def test_an_admin_completes_the_wizard_in_every_mode(world, mode):
    inbound = world.register(mode)
    world.configure_cloud(mode, inbound)
    make_user(world.connector, "setup-admin", ["admin"])
    outbound, record = world.record.apps["outbound"], world.record
    with TestClient(create_app(context=world.connector)) as client:
        login(client, "setup-admin")
        assert post(client, "/m365/setup/mode", **ANSWERS[mode]).status_code == 200
        if mode is not Mode.NONE:
            refused = post(client, "/m365/setup/step/0")
            assert refused.status_code == 400 and CROSS_SCOPE_REFUSAL in unescape(refused.text)
            post(client, "/m365/setup/allow-oauth-entity-read")
            step2, step3 = inbound_fields(mode, inbound)
            forms = [
                {},
                {
                    "new_name": "Azure",
                    "new_client_id": outbound["client_id"],
                    "new_client_secret": outbound["client_secret"],
                    "new_token_url": f"{record.identity_url}/{record.tenant['id']}/oauth2/token",
                    "graph_url": record.graph_url,
                    "support_url": record.support_url,
                },
                step2,
                step3,
                {"repository_id": "contoso-servicenow"},
                {"admin_email": "admin@contoso.onmicrosoft.com", "test_environment": "yes"},
            ]
            for step, fields in enumerate(forms):
                answer = post(client, f"/m365/setup/step/{step}", **fields)
                assert answer.status_code == 200 and 'role="alert"' not in answer.text, answer.text
            assert f"{record.connector_url}/api/x_mioms_m365_assis/inbound" in answer.text

        tested = post(client, "/m365/setup/test")
        assert "Test connection passed." in tested.text, tested.text
        assert post(client, "/m365/setup/finish").status_code == 200

    with transaction(world.connector.sessions) as session:
        assert require_setup(session, feature="solutions").confirmed


def test_a_refused_step_shows_its_message_and_keeps_the_stored_setup(world):
    make_user(world.connector, "setup-admin", ["admin"])
    with TestClient(create_app(context=world.connector)) as client:
        login(client, "setup-admin")
        post(client, "/m365/setup/mode", basic_auth_allowed="no", single_tenant="no")
        post(client, "/m365/setup/allow-oauth-entity-read")
        post(client, "/m365/setup/step/0")
        refused = post(
            client,
            "/m365/setup/step/1",
            new_name="Azure",
            new_client_id=world.record.apps["outbound"]["client_id"],
            new_client_secret="wrong",
            new_token_url=f"{world.record.identity_url}/{world.record.tenant['id']}/oauth2/token",
        )
        assert refused.status_code == 400
        assert "was refused by the identity service (AADSTS7000215)" in unescape(refused.text)
        assert "(current)" in refused.text and "Step 1: Outbound OAuth provider" in refused.text
        assert "default_profile" not in client.get("/m365/setup?step=1").text  # no provider was stored
