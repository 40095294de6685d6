"""Graph's enum values and times as a person reads them (issue 15, item 18): the tab and the Service Health
page say "Service degradation", not ``serviceDegradation``, and show times in the viewer's own time zone."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from m365bridge.connector.health.labels import ENUM_LABELS
from m365bridge.demo.browser import open_incident, open_support_tab, run_insights, sign_in
from tests.browser.test_incident_tab import OUTLOOK_INCIDENT

VIEWER_ZONE = "Asia/Kolkata"  # UTC+5:30 all year: no hour of it reads the same as UTC
LABELS = set(ENUM_LABELS.values())
CAMEL_CASE = re.compile(r"\b[a-z]+[A-Z][A-Za-z]*\b")


@pytest.fixture
def viewer_page(browser):
    """A page of a browser context whose time zone is the viewer's (not UTC, not the machine's)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, timezone_id=VIEWER_ZONE, locale="en-US"
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def assert_shown_in_viewer_zone(time_element) -> None:
    """The element's ISO instant is shown as the viewer's wall-clock time, not as UTC."""
    instant = dt.datetime.fromisoformat(time_element.get_attribute("datetime").replace("Z", "+00:00"))
    local = instant.astimezone(ZoneInfo(VIEWER_ZONE))
    shown = time_element.inner_text()
    assert "UTC" not in shown, shown
    assert f"{local.hour % 12 or 12}:{local.minute:02d}" in shown, (shown, local)
    assert "GMT+5:30" in shown, shown


def test_the_tab_shows_the_admin_centers_words_and_local_times(viewer_page, demo):
    page = viewer_page
    sign_in(page, demo["connector_url"], demo["users"]["agent"])
    open_incident(page, demo["connector_url"], OUTLOOK_INCIDENT)
    open_support_tab(page)
    issue = run_insights(page).locator("article.insight-issue").filter(has_text="EX900001")

    text = issue.inner_text()
    status = re.search(r"Status:\s*(.+?)\s*·\s*Type:\s*(.+)", text)
    assert status and status.group(1) in LABELS and status.group(2).strip() in LABELS, text
    assert not CAMEL_CASE.search(status.group(0)), status.group(0)
    times = issue.locator("time.local-time")
    assert times.count() >= 1
    assert_shown_in_viewer_zone(times.first)


def test_the_service_health_page_shows_the_admin_centers_words_and_local_times(viewer_page, demo):
    page = viewer_page
    sign_in(page, demo["connector_url"], demo["users"]["admin"])
    page.goto(f"{demo['connector_url']}/m365/service-health")
    rows = page.locator("table.table tbody tr")
    assert rows.count() >= 1
    for index in range(rows.count()):
        status = rows.nth(index).locator("td").first.inner_text().strip()
        assert status in LABELS, status
    assert_shown_in_viewer_zone(rows.first.locator("time.local-time"))
