"""Debian's Chromium, driven by Playwright, trusting the demo's CA: shared by the browser tests and
``scripts/screenshots.py``.

Playwright's own browser download cannot work on these machines, so ``scripts/ensure-chromium.sh`` installs
Debian's ``chromium`` and ``certutil``; never run ``playwright install``. Chromium on Linux trusts the NSS
database under ``$HOME/.pki/nssdb``, so the browser runs with a private HOME whose NSS database trusts the
CA (``ignore_https_errors`` would hide exactly the certificate mistakes a user would meet).
Playwright is a development dependency: it is imported only when a browser is launched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserMissing(RuntimeError):
    """Chromium or certutil is not installed (``scripts/ensure-chromium.sh`` installs both)."""


def trusting_home(folder: Path, ca_cert: Path) -> Path:
    """A HOME whose NSS database (the one Chromium reads on Linux) trusts ``ca_cert`` for servers."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise BrowserMissing("certutil missing: run scripts/ensure-chromium.sh (package libnss3-tools)")
    nssdb = folder / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    database = f"sql:{nssdb}"
    # Fixed arguments and our own paths: nothing here comes from input.
    subprocess.run([certutil, "-N", "-d", database, "--empty-password"], check=True)  # noqa: S603
    trust = [certutil, "-A", "-d", database, "-n", "m365bridge CA", "-t", "C,,", "-i", str(ca_cert)]
    subprocess.run(trust, check=True)  # noqa: S603
    return folder


@contextmanager
def chromium(ca_cert: Path, home: Path) -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``) that trusts ``ca_cert``; ``home`` must be empty."""
    if not CHROMIUM.exists():
        raise BrowserMissing(f"{CHROMIUM} missing: run scripts/ensure-chromium.sh")
    from playwright.sync_api import sync_playwright

    trusting_home(home, ca_cert)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": str(home)},
        )
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Any, base_url: str, user: dict[str, Any]) -> None:
    """Sign in on the connector (``/login``) or the cloud (``/portal/login``) as a ``demo.json`` user."""
    if "@" in user["user_name"]:
        page.goto(f"{base_url}/portal/login")
        page.get_by_label("Email, phone, or Skype").fill(user["user_name"])
    else:
        page.goto(f"{base_url}/login")
        page.get_by_label("User name").fill(user["user_name"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def open_incident(page: Any, connector_url: str, short_description: str) -> None:
    """From the incident list, open the incident with this short description (the demo's samples)."""
    page.goto(f"{connector_url}/incidents")
    row = page.get_by_role("row").filter(has_text=short_description)
    row.get_by_role("link").first.click()
    page.wait_for_load_state()


def open_support_tab(page: Any) -> None:
    tabs = page.get_by_role("navigation", name="Incident sections")
    tabs.get_by_role("link", name="Microsoft 365 support").click()
    page.wait_for_load_state()


def run_insights(page: Any) -> Any:
    """Click Microsoft 365 Insights on the open tab; returns the answer's section."""
    page.get_by_role("button", name="Microsoft 365 Insights").click()
    page.wait_for_load_state()
    return page.get_by_role("region", name="Microsoft 365 Insights")


def contact_support(page: Any, phone: str = "+1 425 555 0100") -> str:
    """Submit Contact Microsoft support on the open tab; returns the new case's number."""
    form = page.get_by_role("region", name="Contact Microsoft support")
    before = form.locator("article.case").count()
    form.get_by_label("Contact phone").first.fill(phone)
    form.get_by_role("button", name="Contact Microsoft support").click()
    page.wait_for_load_state()
    cases = page.locator("article.case")
    cases.nth(before).wait_for()
    heading = cases.nth(before).get_by_role("heading").first.inner_text()
    return heading.removeprefix("Case ").split(":", 1)[0].strip()


def engineer_reply(page: Any, cloud_url: str, case_number: str, text: str) -> None:
    """As a signed-in support engineer: find the case in the console's queue (test cases shown), reply."""
    page.goto(f"{cloud_url}/console")
    page.get_by_label("Test environment").select_option("show")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    page.get_by_role("link", name=case_number, exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("Reply to the customer").fill(text)
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_load_state()
