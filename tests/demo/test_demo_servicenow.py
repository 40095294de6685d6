"""``demo --itsm servicenow``: a stand-in ServiceNow instance on its own port, the connector connected to it
in instance mode (Test connection passes), and the connector's own accounts still working on its API."""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path

import httpx

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicenow.connection_test import Outcome
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.connector.setup import service_desk
from m365bridge.connector.troubleshooting.service import run_doctor
from m365bridge.demo.runner import start_demo
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import free_port

API = "/api/x_mioms_m365_assis/v1/incidents"


def test_the_itsm_demo_connects_the_connector_to_its_servicenow_instance(tmp_path: Path) -> None:
    started = time.monotonic()
    servers = start_demo(
        mode="basic",
        data_dir=tmp_path,
        cloud_port=free_port(),
        connector_port=free_port(),
        itsm="servicenow",
        instance_port=free_port(),
    )
    ready = time.monotonic() - started
    try:
        record = json.loads((tmp_path / "demo.json").read_text())
        instance = record["servicenow"]
        assert instance["instance_url"].startswith("https://")
        assert instance["instance_url"] not in (record["connector_url"], record["identity_url"])
        for who in ("agent", "admin"):
            assert set(instance["users"][who]) == {"user_name", "password"}
        verify = ssl.create_default_context(cafile=record["ca_bundle"])

        # The instance's own agent signs in to the instance's Table API and sees its sample incidents.
        agent = instance["users"]["agent"]
        on_instance = httpx.get(
            f"{instance['instance_url']}/api/now/table/incident",
            params={"sysparm_fields": "sys_id,number,short_description"},
            auth=(agent["user_name"], agent["password"]),
            verify=verify,
        )
        assert on_instance.status_code == 200
        assert len(on_instance.json()["result"]) == 4

        # The connector uses the instance as its desk, and Test connection passes against it.
        settings = ConnectorSettings(
            allow_private_endpoints=True, data_dir=tmp_path / "connector", ca_bundle=Path(record["ca_bundle"])
        )
        connector = ConnectorContext.build(settings)
        try:
            with transaction(connector.sessions) as session:
                desk = service_desk.current_desk(session)
            results = service_desk.run_instance_checks(connector)
            doctor = run_doctor(connector)
        finally:
            connector.close()
        assert doctor.instance and doctor.passed, [failure.finding for failure in doctor.failures]
        assert desk.kind is service_desk.DeskKind.SERVICENOW and desk.url == instance["instance_url"]
        assert desk.auth_type == "oauth_password"
        assert {r.name: r.outcome for r in results} == {r.name: Outcome.PASSED for r in results}, results

        # The connector's own accounts keep working on its API with Basic auth.
        for who in ("agent", "escalation"):
            user = record["users"][who]
            own = httpx.get(
                f"{record['connector_url']}/api/now/table/incident",
                params={"sysparm_fields": "sys_id", "sysparm_limit": "1"},
                auth=(user["user_name"], user["password"]),
                verify=verify,
            )
            assert own.status_code == 200, (who, own.text)
        # ... and on the instance's incidents, by the instance's sys_id: escalation opens a case on one.
        escalation = record["users"]["escalation"]
        sys_id = on_instance.json()["result"][0]["sys_id"]
        with httpx.Client(
            base_url=record["connector_url"],
            auth=(escalation["user_name"], escalation["password"]),
            verify=verify,
            timeout=30,
        ) as as_escalation:
            body = {
                "title": "Mail stuck in Drafts",
                "description": "Outlook on the web cannot send.",
                "contact": {"name": "Esc Alation", "email": "escalation@contoso.com", "phone": "+1 555 0100"},
                "preferredContactMethod": "email",
            }
            opened = as_escalation.post(f"{API}/{sys_id}/cases", json=body)
            assert opened.status_code == 201, opened.text
            cases = as_escalation.get(f"{API}/{sys_id}/cases")
        assert cases.status_code == 200, cases.text
        assert [case["number"] for case in cases.json()["result"]] == [opened.json()["result"]["number"]]
        assert ready < 30, f"the itsm demo took {ready:.1f} s to be ready"
    finally:
        for server in servers:
            server.stop()


def test_without_itsm_demo_json_has_no_servicenow_key_and_the_desk_stays_built_in(tmp_path: Path) -> None:
    ports = {"cloud_port": free_port(), "connector_port": free_port()}
    servers = start_demo(mode="insights", data_dir=tmp_path, **ports)
    try:
        record = json.loads((tmp_path / "demo.json").read_text())
        assert "servicenow" not in record
        assert not (tmp_path / "servicenow").exists()
        connector = ConnectorContext.build(ConnectorSettings(data_dir=tmp_path / "connector"))
        try:
            with transaction(connector.sessions) as session:
                assert service_desk.current_desk(session).kind is service_desk.DeskKind.BUILTIN
        finally:
            connector.close()
    finally:
        for server in servers:
            server.stop()
