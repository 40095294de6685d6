from fastapi.testclient import TestClient
from typer.testing import CliRunner

from m365bridge.cli import app
from m365bridge.cloud.app import create_app
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.identity.resources import SUPPORT_RESOURCE
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.errors import UserError

runner = CliRunner()


def identity(data_dir, *args):
    return runner.invoke(app, ["cloud", "identity", *args, "--data-dir", str(data_dir)])


def test_cli_registers_an_app_whose_secret_gets_a_token(tmp_path):
    created = identity(tmp_path, "tenant", "create", "contoso.onmicrosoft.com")
    assert created.exit_code == 0, created.output
    tenant_id = created.stdout.split()[0]
    registered = identity(tmp_path, "app", "create", "Outbound", "--tenant", "contoso.onmicrosoft.com")
    client_id = registered.stdout.split()[0]
    granted = identity(
        tmp_path, "app", "grant", client_id, "--resource", SUPPORT_RESOURCE, "--role", "Support.ReadWrite.All"
    )
    assert granted.exit_code == 0, granted.output
    secret = identity(tmp_path, "secret", "add", client_id).stdout.split()[0]
    assert identity(tmp_path, "keys", "rotate").exit_code == 0
    listed = identity(tmp_path, "app", "list", "--tenant", tenant_id).stdout
    assert client_id in listed and "Outbound" in listed

    context = CloudContext.build(CloudSettings(data_dir=tmp_path))
    try:
        with TestClient(create_app(context=context)) as client:
            response = client.post(
                "/contoso.onmicrosoft.com/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                    "scope": f"{SUPPORT_RESOURCE}/.default",
                },
            )
        assert response.status_code == 200, response.text
    finally:
        context.close()


def test_cli_refuses_an_invalid_domain_with_a_user_error(tmp_path):
    result = identity(tmp_path, "tenant", "create", "contoso")
    assert isinstance(result.exception, UserError)
    assert "onmicrosoft.com" in str(result.exception)
    assert identity(tmp_path, "tenant", "list").stdout == ""
