"""Browser tests: Debian's Chromium driven by Playwright's sync API (see ``m365bridge.demo.browser``).

Certificates: the pages are served over https, exactly as the demo serves them, and the browser really
verifies them: it trusts only the session's test CA (the ``tls`` fixture). Every server a browser test opens
must therefore present a certificate from that CA: ``serving(app, tls=tls)`` does, and the demos started
here seed their CA folder with it.

Demos: one per setup mode, started the first time a test asks for it and shared by every browser test of the
session (starting one is the slow part); tests must not depend on state another test leaves behind.

On failure a test leaves ``artifacts/screenshots/<test>.png`` and ``<test>.html`` behind.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from m365bridge.demo.browser import BrowserMissing, chromium
from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import RunningServer, free_port
from m365bridge.shared.tls import ServerCertificate

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
MODES = ("basic", "aad", "insights")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``browser``, and keep them on one xdist worker (``--dist loadgroup``), so the
    browser and the demos start once per run rather than once per worker."""
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


@pytest.fixture(scope="session")
def browser(tls: ServerCertificate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        with chromium(tls.ca_cert, tmp_path_factory.mktemp("browser-home")) as launched:
            yield launched
    except BrowserMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    """``new_page()``: a page in a fresh browser context (its own cookies: one signed-in person each).
    A failed test leaves every page's screenshot and HTML in artifacts/."""
    contexts: list[Any] = []

    def opened() -> Any:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield opened
    report = getattr(request.node, "report_call", None)
    for index, context in enumerate(contexts):
        if report is not None and report.failed:
            for page in context.pages:
                save_page(page, request.node.name if index == 0 else f"{request.node.name}-{index}")
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    """A fresh browser context and page; a failed test leaves its screenshot and HTML in artifacts/."""
    return new_page()


def save_page(page: Any, name: str) -> Path:
    """Save a screenshot and the HTML of ``page`` under artifacts/screenshots; returns the PNG's path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    png = ARTIFACTS / f"{stem}.png"
    page.screenshot(path=str(png), full_page=True)
    (ARTIFACTS / f"{stem}.html").write_text(page.content())
    return png


@pytest.fixture(scope="session")
def demos(tls: ServerCertificate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Any]]:
    """``demos(mode)``: that mode's running demo (its ``demo.json``), started on first use."""
    started: dict[str, dict[str, Any]] = {}
    servers: list[RunningServer] = []

    def demo_of(mode: str) -> dict[str, Any]:
        if mode not in started:
            data_dir = tmp_path_factory.mktemp(f"demo-{mode}")
            (data_dir / "tls").mkdir()
            for name in ("ca.pem", "ca-key.pem"):
                shutil.copy(tls.ca_cert.parent / name, data_dir / "tls" / name)
            servers.extend(
                start_demo(mode=mode, data_dir=data_dir, cloud_port=free_port(), connector_port=free_port())
            )
            started[mode] = json.loads((data_dir / "demo.json").read_text())
        return started[mode]

    try:
        yield demo_of
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="session")
def demo(demos: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """The Basic-mode demo."""
    return demos("basic")


@pytest.fixture(params=MODES)
def mode_demo(request: pytest.FixtureRequest, demos: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """The demo of each setup mode in turn."""
    return demos(request.param)
