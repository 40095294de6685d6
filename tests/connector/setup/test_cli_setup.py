import json

import pytest
import yaml
from typer.testing import CliRunner

from m365bridge.cli import app
from m365bridge.connector.setup.modes import Mode


@pytest.mark.parametrize("mode", list(Mode))
def test_setup_from_a_file_completes_every_mode_against_the_running_cloud(world, tmp_path, mode):
    inbound = world.register(mode)
    world.configure_cloud(mode, inbound)
    config = tmp_path / "setup.yaml"
    config.write_text(yaml.safe_dump(world.setup_file(mode, inbound)))
    data_dir = str(world.connector.settings.data_dir)

    result = CliRunner().invoke(
        app,
        ["connector", "setup", "--mode", mode.value, "--config", str(config), "--data-dir", data_dir],
        env=world.connector_env,
    )

    assert result.exit_code == 0, result.output
    assert "Test connection passed" in result.output
    assert f"Endpoint: {world.record.connector_url}/api/x_mioms_m365_assis/inbound" in result.output
    status = CliRunner().invoke(
        app, ["connector", "setup", "status", "--data-dir", data_dir], env=world.connector_env
    )
    assert "setup: confirmed" in status.output


def test_a_toml_file_works_too_and_a_failed_step_exits_non_zero(world, tmp_path):
    inbound = world.register(Mode.BASIC)
    world.configure_cloud(Mode.BASIC, inbound)
    config = world.setup_file(Mode.BASIC, inbound)
    config["integration_user"]["user"] = "nobody"
    path = tmp_path / "setup.toml"
    path.write_text(_toml(config))

    result = CliRunner().invoke(
        app,
        ["connector", "setup", "--config", str(path), "--data-dir", str(world.connector.settings.data_dir)],
        env=world.connector_env,
    )

    assert result.exit_code != 0
    assert "[FAILED] Inbound call integration user: No user 'nobody'" in result.output


def _toml(config):
    lines = [f"mode = {json.dumps(config['mode'])}"]
    for section, values in config.items():
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in values.items() if value is not None]
    return "\n".join(lines) + "\n"
