"""Browser tests: Debian's Chromium driven by Playwright's sync API.

Playwright's own browser download cannot work on these machines, so ``scripts/ensure-chromium.sh`` installs
Debian's ``chromium`` (and ``certutil``) and the browser is launched from ``/usr/bin/chromium``; never run
``playwright install``.

Certificates: the pages are served over https, exactly as the demo serves them, and the browser really
verifies them. Chromium on Linux trusts the NSS database under ``$HOME/.pki/nssdb``, so the browser runs with
a private HOME whose NSS database trusts the session's test CA (the ``tls`` fixture). Every server a browser
test opens must therefore present a certificate from that CA: ``serving(app, tls=tls)`` does, and the
``demo`` fixture seeds the demo's CA folder with it. (``ignore_https_errors`` would hide exactly the
certificate mistakes a user would meet.)

On failure a test leaves ``artifacts/screenshots/<test>.png`` and ``<test>.html`` behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import free_port
from m365bridge.shared.tls import ServerCertificate

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
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``browser``, and keep them on one xdist worker (``--dist loadgroup``), so the
    browser and the demo start once per run rather than once per worker."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def trusting_home(folder: Path, ca_cert: Path) -> Path:
    """A HOME whose NSS database (the one Chromium reads on Linux) trusts ``ca_cert`` for servers."""
    if shutil.which("certutil") is None:
        pytest.skip("certutil missing: run scripts/ensure-chromium.sh (package libnss3-tools)")
    nssdb = folder / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "m365bridge test CA", "-t", "C,,", "-i", str(ca_cert)],
        check=True,
    )
    return folder


@pytest.fixture(scope="session")
def browser(tls: ServerCertificate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing: run scripts/ensure-chromium.sh")
    from playwright.sync_api import sync_playwright

    home = trusting_home(tmp_path_factory.mktemp("browser-home"), tls.ca_cert)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": str(home)},
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a failed test leaves its screenshot and HTML in artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        save_page(opened, request.node.name)
    context.close()


def save_page(page: Any, name: str) -> Path:
    """Save a screenshot and the HTML of ``page`` under artifacts/screenshots; returns the PNG's path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    png = ARTIFACTS / f"{stem}.png"
    page.screenshot(path=str(png), full_page=True)
    (ARTIFACTS / f"{stem}.html").write_text(page.content())
    return png


@pytest.fixture(scope="session")
def demo(tls: ServerCertificate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The whole demo, running for the browser tests of this session; yields its ``demo.json``.

    Shared by every browser test in the session (starting it is the slow part): tests must not depend on
    state another test leaves behind. Its CA folder is seeded with the test CA the browser trusts.
    """
    data_dir = tmp_path_factory.mktemp("demo")
    (data_dir / "tls").mkdir()
    for name in ("ca.pem", "ca-key.pem"):
        shutil.copy(tls.ca_cert.parent / name, data_dir / "tls" / name)
    servers = start_demo(mode="basic", data_dir=data_dir, cloud_port=free_port(), connector_port=free_port())
    try:
        yield json.loads((data_dir / "demo.json").read_text())
    finally:
        for server in servers:
            server.stop()
