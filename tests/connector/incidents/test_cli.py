"""``m365bridge connector incidents create|list|show`` against a data folder."""

from __future__ import annotations

from typer.testing import CliRunner

from m365bridge.cli import app


def test_create_then_list_and_show(tmp_path):
    runner = CliRunner()
    data_dir = str(tmp_path / "connector")

    created = runner.invoke(
        app, ["connector", "incidents", "create", "Mailbox full", "--impact", "1", "--data-dir", data_dir]
    )
    assert created.exit_code == 0, created.output
    number, sys_id = created.output.split()

    listed = runner.invoke(
        app, ["connector", "incidents", "list", "--query", "priority=3", "--data-dir", data_dir]
    )
    assert number in listed.output and "1 matching" in listed.output

    shown = runner.invoke(app, ["connector", "incidents", "show", number, "--data-dir", data_dir])
    assert sys_id in shown.output and "Mailbox full" in shown.output


def test_show_of_an_unknown_incident_fails(tmp_path):
    result = CliRunner().invoke(
        app, ["connector", "incidents", "show", "INC9999999", "--data-dir", str(tmp_path / "c")]
    )
    assert result.exit_code != 0
