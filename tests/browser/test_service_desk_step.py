"""An admin picks a ServiceNow instance in the setup's Service desk step and runs Test connection, in the
browser, against the stand-in instance (a second built-in service desk served over https)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from m365bridge.connector.app import create_app
from m365bridge.connector.context import ConnectorContext
from m365bridge.demo.browser import sign_in
from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ServerCertificate
from tests.connector.auth.helpers import PASSWORD as ADMIN_PASSWORD
from tests.connector.auth.helpers import make_user
from tests.connector.servicenow.conftest import (  # noqa: F401 (fixtures)
    INTEGRATION,
    PASSWORD,
    StandIn,
    bridge,
    stand_in,
)


@pytest.fixture
def connector_url(bridge: ConnectorContext, tls: ServerCertificate) -> Iterator[str]:  # noqa: F811
    make_user(bridge, "desk-admin", ["admin"])
    with serving(create_app(context=bridge), tls=tls) as server:
        yield server.url


def fill_instance(page: Any, url: str, password: str) -> None:
    page.get_by_label("ServiceNow instance").check()
    page.get_by_label("Instance URL").fill(url)
    page.get_by_label("Auth type").select_option("basic")
    page.get_by_label("Integration account user name").fill(INTEGRATION)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Both").check()


def test_an_admin_connects_the_instance_and_test_connection_passes(page, connector_url, stand_in):  # noqa: F811
    sign_in(page, connector_url, {"user_name": "desk-admin", "password": ADMIN_PASSWORD})
    page.goto(f"{connector_url}/m365/setup")
    page.get_by_role("link", name="Service desk step").click()
    assert page.locator("#current-desk").inner_text() == "Built-in service desk"

    fill_instance(page, "http://example.com", PASSWORD)  # not https: refused, nothing stored
    page.get_by_role("button", name="Save").click()
    assert "https" in page.get_by_role("alert").inner_text()
    assert page.locator("#current-desk").inner_text() == "Built-in service desk"

    fill_instance(page, stand_in.url, PASSWORD)
    page.get_by_role("button", name="Save").click()
    assert page.locator("#current-desk").inner_text() == f"ServiceNow instance {stand_in.url}"
    password = page.get_by_label("Password", exact=True)
    assert password.input_value() == "" and "leave blank to keep" in (
        password.get_attribute("placeholder") or ""
    )
    assert PASSWORD not in page.content()

    page.get_by_role("button", name="Test connection").click()
    rows = page.locator("#instance-checks tbody tr")
    assert rows.count() == 4
    assert page.locator("#instance-checks tr.check-passed").count() == 4
    assert page.locator("#instance-verdict").inner_text() == "Test connection passed."


def test_a_wrong_password_shows_the_failed_check_and_what_to_fix(page, connector_url, stand_in: StandIn):  # noqa: F811
    sign_in(page, connector_url, {"user_name": "desk-admin", "password": ADMIN_PASSWORD})
    page.goto(f"{connector_url}/m365/setup/service-desk")
    fill_instance(page, stand_in.url, "not-the-password")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("button", name="Test connection").click()

    failed = page.locator("#instance-checks tr.check-failed")
    assert failed.count() == 1 and "Credentials accepted" in failed.inner_text()
    assert "401" in failed.inner_text() and "Check the user name and password" in failed.inner_text()
    assert "Test connection failed" in page.locator("#instance-verdict").inner_text()
