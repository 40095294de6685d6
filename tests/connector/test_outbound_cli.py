"""The outbound commands end to end through the one CLI: registry, rotate-key and the outbound log."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from m365bridge.cli import app

runner = CliRunner()


def cli(data_dir: Path, *args: str, secret: str | None = None):  # type: ignore[no-untyped-def]
    env = {"M365BRIDGE_OAUTH_CLIENT_SECRET": secret} if secret else {}
    return runner.invoke(app, ["connector", *args, "--data-dir", str(data_dir)], env=env)


def test_create_list_rotate_and_delete_an_oauth_provider(tmp_path: Path) -> None:
    created = cli(
        tmp_path,
        "oauth-entities",
        "create",
        "--name",
        "Azure",
        "--client-id",
        "app-1",
        "--token-url",
        "https://login.example.test/t/oauth2/token",
        "--param",
        "resource=https://graph.microsoft.com",
        secret="very-secret-value",
    )
    assert created.exit_code == 0, created.output
    listed = cli(tmp_path, "oauth-entities", "list", "--json")
    [row] = json.loads(listed.output)
    assert row["name"] == "Azure" and row["extra_params"] == {"resource": "https://graph.microsoft.com"}
    assert "very-secret-value" not in listed.output

    rotated = cli(tmp_path, "rotate-key")
    assert rotated.exit_code == 0 and "re-encrypted 1 value" in rotated.output

    assert cli(tmp_path, "oauth-entities", "delete", "Azure").exit_code == 0
    assert json.loads(cli(tmp_path, "oauth-entities", "list", "--json").output) == []


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    result = cli(tmp_path, "oauth-entities", "delete", "nope")
    assert result.exit_code != 0
    assert "No OAuth provider 'nope'" in str(result.exception)


def test_logs_http_rejects_a_bad_since(tmp_path: Path) -> None:
    result = cli(tmp_path, "logs", "http", "--since", "yesterday")
    assert result.exit_code != 0 and "--since" in str(result.exception)
