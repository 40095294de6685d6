"""``m365bridge connector oidc …`` and ``m365bridge connector allowlist …`` against a data folder."""

from __future__ import annotations

from typer.testing import CliRunner

from m365bridge.cli import app

METADATA = "https://login.idp.test/tenant/.well-known/openid-configuration"


def run(*args: str, data_dir: str):
    return CliRunner().invoke(app, ["connector", *args, "--data-dir", data_dir])


def test_oidc_providers_and_entities_from_the_shell(tmp_path):
    data = str(tmp_path / "connector")

    created = run("oidc", "providers", "create", "Contoso Azure", "--metadata-url", METADATA, data_dir=data)
    entity = run("oidc", "entities", "create", "api://rest", "--provider", "Contoso Azure", data_dir=data)
    providers = run("oidc", "providers", "list", data_dir=data)
    entities = run("oidc", "entities", "list", data_dir=data)

    assert created.exit_code == 0 and entity.exit_code == 0, created.output + entity.output
    assert "Contoso Azure" in providers.output and METADATA in providers.output
    assert "api://rest" in entities.output and "Contoso Azure" in entities.output
    entity_id = entities.output.split()[0]
    assert run("oidc", "entities", "delete", entity_id, data_dir=data).exit_code == 0
    assert run("oidc", "providers", "delete", "Contoso Azure", data_dir=data).exit_code == 0
    assert run("oidc", "providers", "list", data_dir=data).output == ""


def test_a_provider_without_https_is_one_clear_error(tmp_path):
    result = run(
        "oidc", "providers", "create", "Plain", "--metadata-url", "http://x.test/", data_dir=str(tmp_path)
    )

    assert result.exit_code != 0 and "must be https" in str(result.exception)


def test_allowlist_add_list_remove(tmp_path):
    data = str(tmp_path / "connector")

    added = run("allowlist", "add", "52.149.152.32", "--description", "Microsoft", data_dir=data)
    listed = run("allowlist", "list", data_dir=data)
    removed = run("allowlist", "remove", "52.149.152.32", data_dir=data)

    assert added.exit_code == 0, added.output
    assert "not enforced" in listed.output and "52.149.152.32/32\tMicrosoft" in listed.output
    assert removed.exit_code == 0 and "52.149.152.32/32" in removed.output
    assert "52.149.152.32" not in run("allowlist", "list", data_dir=data).output
