import json
import ssl

import httpx

from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import free_port


def test_the_basic_demo_is_set_up_and_its_integration_user_can_call_the_endpoint(tmp_path):
    servers = start_demo(mode="basic", data_dir=tmp_path, cloud_port=free_port(), connector_port=free_port())
    try:
        record = json.loads((tmp_path / "demo.json").read_text())
        assert record["setup"]["confirmed"] is True
        assert record["endpoint"] == f"{record['connector_url']}/api/x_mioms_m365_assis/inbound"
        assert {"admin", "agent", "escalation", "integration"} <= set(record["users"])
        client = record["oauth_clients"]["support"]
        integration = record["users"]["integration"]
        verify = ssl.create_default_context(cafile=record["ca_bundle"])
        token = httpx.post(
            f"{record['endpoint']}/oauth_token.do",
            data={
                "grant_type": "password",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
                "username": integration["user_name"],
                "password": integration["password"],
            },
            verify=verify,
        ).json()["access_token"]
        probe = httpx.get(
            f"{record['endpoint']}/probe", headers={"Authorization": f"Bearer {token}"}, verify=verify
        )
        assert probe.json()["result"] == {"user": "m365_integration", "method": "bearer", "mode": "basic"}
    finally:
        for server in servers:
            server.stop()
