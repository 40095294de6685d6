"""The demo's sample incidents match live service health and KB articles; the doctor finds nothing wrong."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.troubleshooting.service import run_doctor
from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import free_port

API = "/api/x_mioms_m365_assis/v1/incidents"


def test_sample_incidents_get_matching_health_and_solutions_and_the_doctor_passes(tmp_path: Path) -> None:
    servers = start_demo(mode="basic", data_dir=tmp_path, cloud_port=free_port(), connector_port=free_port())
    try:
        record = json.loads((tmp_path / "demo.json").read_text())
        assert len(record["incidents"]) == 4
        agent = record["users"]["agent"]
        verify = ssl.create_default_context(cafile=record["ca_bundle"])
        with httpx.Client(
            base_url=record["connector_url"], auth=(agent["user_name"], agent["password"]), verify=verify
        ) as client:
            found = client.get(
                "/api/now/table/incident",
                params={"sysparm_query": f"number={record['incidents'][0]}", "sysparm_fields": "sys_id"},
            )
            sys_id = found.json()["result"][0]["sys_id"]
            insights = client.get(f"{API}/{sys_id}/insights", timeout=30).json()
        titles = [issue["title"] for issue in insights["serviceHealth"]]
        assert "Users can't send email from Outlook on the web" in titles
        assert insights["solutions"]
        settings = ConnectorSettings(
            allow_private_endpoints=True, data_dir=tmp_path / "connector", ca_bundle=Path(record["ca_bundle"])
        )
        connector = ConnectorContext.build(settings)
        try:
            report = run_doctor(connector)
        finally:
            connector.close()
        assert report.passed, [failure.finding for failure in report.failures]
    finally:
        for server in servers:
            server.stop()
