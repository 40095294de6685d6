"""Rows 1-5: the tab hidden from an agent; the setup gate's two messages from Insights and the search box."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from m365bridge.cli import app as cli
from m365bridge.connector.setup.gate import SETUP_INCOMPLETE, SETUP_NOT_CONFIRMED
from m365bridge.connector.setup.modes import Mode
from m365bridge.connector.users.roles import ADMIN, ITIL
from tests.connector.auth.helpers import login, make_user
from tests.connector.insights.test_tab import act, configured
from tests.connector.insights.world import outbound_entity, store_setup
from tests.connector.troubleshooting.conftest import World, doctor, evidence_text, failure_for


def test_row_1_an_agent_without_the_insights_role_does_not_see_the_tab(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed")
    make_user(world.connector, "itil_only", [ITIL])
    login(world.client, "itil_only")
    form = world.client.get(f"/incidents/{sys_id}")
    assert form.status_code == 200 and "Microsoft 365 support</a>" not in form.text
    tab = world.client.get(f"/incidents/{sys_id}/m365")
    assert "You do not see the Microsoft 365 support tab." in tab.text
    failure = failure_for(doctor(world), 1)
    assert "itil_only" in failure.finding and "agent" not in failure.finding
    assert "hidden from itil_only" in evidence_text(failure)


@pytest.mark.parametrize(
    ("setup", "message", "rows"),
    [
        ({"finished": False, "confirmed": False}, SETUP_INCOMPLETE, (2, 4)),
        ({"confirmed": False}, SETUP_NOT_CONFIRMED, (3, 5)),
    ],
    ids=["rows_2_4_not_finished", "rows_3_5_not_confirmed"],
)
def test_rows_2_to_5_the_setup_gate_message_and_the_doctor(
    world: World, setup: dict[str, bool], message: str, rows: tuple[int, int]
) -> None:
    entity = outbound_entity(world.connector, world.cloud_url, world.tenant)
    store_setup(world.connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=world.cloud_url, **setup)
    sys_id = world.incident("Mail delivery delayed")
    insights = act(world, sys_id, "insights")
    search = act(world, sys_id, "search", text="mail stuck in outbox")
    for page in (insights, search):
        assert page.status_code == 409 and message in page.text and 'role="alert"' in page.text
    report = doctor(world)
    for row in rows:
        failure = failure_for(report, row)
        assert failure.row.message == message
        assert evidence_text(failure).count(message) >= 2  # one log line per click
    assert not report.passed


def test_a_healthy_configuration_passes_every_check(world: World) -> None:
    configured(world)
    sys_id = world.incident("Mail delivery delayed", "Outlook mail stuck in the outbox")
    assert act(world, sys_id, "insights").status_code == 200
    report = doctor(world)
    assert report.passed, [failure.finding for failure in report.failures]
    assert [r.rows[0] for r in report.results] == sorted(r.rows[0] for r in report.results)


def test_the_page_and_the_cli_show_the_same_failing_row(world: World) -> None:
    entity = outbound_entity(world.connector, world.cloud_url, world.tenant)
    store_setup(
        world.connector, mode=Mode.INSIGHTS, entity_id=entity, cloud_url=world.cloud_url, confirmed=False
    )
    make_user(world.connector, "boss", [ADMIN])
    login(world.client, "boss")
    page = world.client.get("/m365/troubleshooting?offline=true")
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert "Troubleshooting row #3, #5" in page.text and SETUP_NOT_CONFIRMED in page.text
    result = CliRunner().invoke(
        cli, ["connector", "doctor", "--offline", "--data-dir", str(world.connector.settings.data_dir)]
    )
    assert result.exit_code == 1
    assert (
        "Troubleshooting row #3, #5" in result.output
        and "Failing troubleshooting rows: #3, #5" in result.output
    )


def test_the_page_is_for_admins_only(world: World) -> None:
    assert world.client.get("/m365/troubleshooting").status_code == 403


def test_the_cli_exits_0_when_every_check_passes(world: World) -> None:
    configured(world)
    data_dir = str(world.connector.settings.data_dir)
    result = CliRunner().invoke(cli, ["connector", "doctor", "--offline", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    assert "Every check passed." in result.output
