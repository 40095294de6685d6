"""Screenshots of the main pages of both sides at laptop size, from a fresh Basic-mode demo.

    .venv/bin/python scripts/screenshots.py [--out artifacts/screenshots/pages] [--mode basic]

Starts a demo in a temporary folder, walks it as its people would (the agent runs insights, the escalation
admin contacts Microsoft support, the engineer replies), and saves one PNG per page. Needs Debian's
Chromium: run scripts/ensure-chromium.sh first.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from m365bridge.demo.browser import (
    chromium,
    contact_support,
    engineer_reply,
    open_incident,
    open_support_tab,
    run_insights,
    sign_in,
)
from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import free_port

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1366, "height": 768}
INCIDENT = "Users can't send mail from Outlook on the web"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "screenshots" / "pages")
    parser.add_argument("--mode", default="basic", choices=("basic", "aad", "insights"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="m365bridge-screenshots-") as folder:
        data_dir = Path(folder) / "demo"
        servers = start_demo(
            mode=args.mode, data_dir=data_dir, cloud_port=free_port(), connector_port=free_port()
        )
        try:
            demo = json.loads((data_dir / "demo.json").read_text())
            with chromium(Path(demo["ca_bundle"]), Path(folder) / "browser-home") as browser:
                Shooter(browser, demo, args.out).all()
        finally:
            for server in servers:
                server.stop()
    print(f"screenshots in {args.out}")


class Shooter:
    def __init__(self, browser: Any, demo: dict[str, Any], out: Path) -> None:
        self.browser, self.demo, self.out = browser, demo, out
        self.connector, self.cloud = demo["connector_url"], demo["identity_url"]

    def page_as(self, who: str | None) -> Any:
        page = self.browser.new_context(viewport=VIEWPORT).new_page()
        if who is not None:
            base = self.connector if who in ("admin", "agent", "escalation") else self.cloud
            sign_in(page, base, self.demo["users"][who])
        return page

    def shot(self, page: Any, name: str, url: str | None = None, *, at: str | None = None) -> None:
        """What a person sees at 1366x768: the top of the page, or scrolled to the element ``at``."""
        if url is not None:
            page.goto(url)
        if at is not None:
            page.locator(at).first.evaluate("element => element.scrollIntoView()")
        page.screenshot(path=str(self.out / f"{name}.png"))

    def all(self) -> None:
        self.connector_admin()
        case_number = self.connector_case()
        self.cloud_pages(case_number)

    def connector_admin(self) -> None:
        c = self.connector
        self.shot(self.page_as(None), "connector-01-login", f"{c}/login")
        admin = self.page_as("admin")
        self.shot(admin, "connector-02-home", f"{c}/")
        self.shot(admin, "connector-03-incidents", f"{c}/incidents")
        open_incident(admin, c, INCIDENT)
        self.shot(admin, "connector-04-incident-form")
        for step in range(7):
            self.shot(admin, f"connector-06-setup-step-{step}", f"{c}/m365/setup?step={step}")
        admin.goto(f"{c}/m365/setup?step=4")
        admin.get_by_label("Repository ID").fill("not a valid id")
        admin.get_by_role("button", name="Next").click()
        self.shot(admin, "connector-06-setup-error")
        self.shot(admin, "connector-07-service-health", f"{c}/m365/service-health")
        self.shot(admin, "connector-08-troubleshooting", f"{c}/m365/troubleshooting")
        self.shot(admin, "connector-09-users", f"{c}/users")
        self.shot(admin, "connector-10-system-log", f"{c}/logs/system")
        self.shot(admin, "connector-11-http-log", f"{c}/logs/http")
        self.shot(admin, "connector-12-registry", f"{c}/registry")

    def connector_case(self) -> str:
        agent = self.page_as("agent")
        open_incident(agent, self.connector, INCIDENT)
        open_support_tab(agent)
        run_insights(agent)
        self.shot(agent, "connector-05a-tab")
        self.shot(agent, "connector-05b-tab-insights", at="section.insights-answer")
        if self.demo["mode"] == "insights":
            return ""
        escalation = self.page_as("escalation")
        open_incident(escalation, self.connector, INCIDENT)
        open_support_tab(escalation)
        number = contact_support(escalation)
        engineer = self.page_as("support_engineer")
        engineer_reply(
            engineer, self.cloud, number, "Thanks, we are looking into it. Which users are affected?"
        )
        self.shot(engineer, "cloud-04-console-case")
        self.shot(engineer, "cloud-03-console-queue", f"{self.cloud}/console?test=show")
        deadline = time.monotonic() + 60
        while "Which users are affected" not in escalation.content() and time.monotonic() < deadline:
            time.sleep(1)
            escalation.reload()
        self.shot(escalation, "connector-05c-tab-case", at="article.case")
        return number

    def cloud_pages(self, case_number: str) -> None:
        self.shot(self.page_as(None), "cloud-01-portal-login", f"{self.cloud}/portal/login")
        admin = self.page_as("tenant_admin")
        self.shot(admin, "cloud-02-support-integration", f"{self.cloud}/portal/settings/support-integration")
        admin.get_by_role("link", name="contoso-servicenow").first.click()
        self.shot(admin, "cloud-02b-repository")


if __name__ == "__main__":
    main()
