"""``m365bridge connector servicenow configure | test-connection | update-set`` against a data folder."""

from __future__ import annotations

import datetime as dt
import email.utils

import httpx
import respx
from typer.testing import CliRunner

from m365bridge.cli import app
from tests.connector.servicenow.contract import incident

SYS_ID = "9d385017c611228701d22104cc95c371"

FAKE = "https://dev12345.service-now.com"


def run(*args: str, data_dir: str, **env: str):
    return CliRunner().invoke(app, ["connector", "servicenow", *args, "--data-dir", data_dir], env=env)


def configure(data: str) -> None:
    result = run(
        "configure",
        "--url",
        FAKE,
        "--auth-type",
        "basic",
        "--user-name",
        "svc",
        data_dir=data,
        M365BRIDGE_SERVICENOW_PASSWORD="pw-From-Env",
    )
    assert result.exit_code == 0, result.output
    assert "pw-From-Env" not in result.output


def test_test_connection_without_configuration_says_how_to_configure(tmp_path):
    result = run("test-connection", data_dir=str(tmp_path / "c"))

    assert result.exit_code != 0 and "servicenow configure" in str(result.exception)


@respx.mock
def test_test_connection_prints_a_table_and_exits_non_zero_on_a_failed_check(tmp_path):
    data = str(tmp_path / "c")
    configure(data)
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        return_value=httpx.Response(
            200, text="<html>hibernating</html>", headers={"Content-Type": "text/html"}
        )
    )

    result = run("test-connection", data_dir=data)

    assert result.exit_code == 1
    assert "Instance reachable, answers JSON" in result.output and "failed" in result.output
    assert "developer.servicenow.com" in result.output


@respx.mock
def test_test_connection_exits_zero_when_every_check_passes(tmp_path):
    data = str(tmp_path / "c")
    configure(data)
    now = {"Date": email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)}
    respx.get(url__regex=rf"{FAKE}/api/now/table/sys_user_has_role.*").mock(
        return_value=httpx.Response(200, json={"result": [{"role": {"display_value": "itil"}}]}, headers=now)
    )
    respx.get(url__regex=rf"{FAKE}/api/now/table/.*").mock(
        return_value=httpx.Response(200, json={"result": []}, headers=now)
    )

    result = run("test-connection", data_dir=data)

    assert result.exit_code == 0, result.output
    assert result.output.count("passed") == 4


def test_update_set_is_written_for_the_given_connector_url(tmp_path):
    target = tmp_path / "set.xml"

    result = run(
        "update-set",
        "--output",
        str(target),
        "--connector-url",
        "https://m365.contoso.com",
        data_dir=str(tmp_path / "c"),
    )

    assert result.exit_code == 0, result.output
    assert "https://m365.contoso.com/incidents/{sys_id}/m365" in result.output
    assert "<unload" in target.read_text()


def test_update_set_help_says_it_is_not_checked_against_a_live_instance(tmp_path):
    result = CliRunner().invoke(
        app, ["connector", "servicenow", "update-set", "--help"], env={"COLUMNS": "200"}
    )

    assert "not against a live instance" in " ".join(result.output.split())


def test_configure_use_and_agent_view_are_stored_and_left_as_they_are_when_not_given(tmp_path):
    data = str(tmp_path / "c")
    configure(data)
    base = ["configure", "--url", FAKE, "--auth-type", "basic", "--user-name", "svc"]

    chosen = run(*base, "--use", "--agent-view", "tab", data_dir=data)
    again = run(*base, data_dir=data)
    bad = run(*base, "--no-use", "--agent-view", "email", data_dir=data)
    after_bad = run(*base, data_dir=data)

    assert "Service desk in use: the built-in service desk" not in chosen.output
    assert "in use: this instance; agents see: tab" in chosen.output
    assert "in use: this instance; agents see: tab" in again.output
    assert bad.exit_code != 0 and "work_notes, tab, both" in str(bad.exception)
    assert "in use: this instance; agents see: tab" in after_bad.output  # the refusal changed nothing


def test_sync_now_says_when_the_built_in_desk_is_in_use(tmp_path):
    data = str(tmp_path / "c")
    configure(data)

    result = run("sync-now", data_dir=data)

    assert result.exit_code == 0 and "built-in service desk is in use" in result.output


@respx.mock
def test_sync_now_polls_and_reports_what_it_did(tmp_path):
    data = str(tmp_path / "c")
    configure(data)
    run("configure", "--url", FAKE, "--auth-type", "basic", "--user-name", "svc", "--use", data_dir=data)
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        return_value=httpx.Response(200, json={"result": [incident(SYS_ID, "2026-12-01 10:00:00")]})
    )

    result = run("sync-now", data_dir=data)

    assert result.exit_code == 0, result.output
    assert "Polled 1 changed incident(s) in 1 request(s); delivered 0 write(s)" in result.output


@respx.mock
def test_sync_now_says_what_to_do_when_the_instance_answers_a_web_page(tmp_path):
    data = str(tmp_path / "c")
    configure(data)
    run("configure", "--url", FAKE, "--auth-type", "basic", "--user-name", "svc", "--use", data_dir=data)
    respx.get(f"{FAKE}/api/now/table/incident").mock(
        return_value=httpx.Response(
            200, text="<html>Instance hibernating</html>", headers={"Content-Type": "text/html"}
        )
    )

    result = run("sync-now", data_dir=data)

    assert result.exit_code == 1 and "Sync failed" in result.output and "web page" in result.output
