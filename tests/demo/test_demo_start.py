import json
import ssl

import httpx

from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import free_port


def test_demo_starts_both_sides_over_https_and_writes_demo_json(tmp_path):
    servers = start_demo(mode="basic", data_dir=tmp_path, cloud_port=free_port(), connector_port=free_port())
    try:
        record = json.loads((tmp_path / "demo.json").read_text())
        for key in (
            "identity_url",
            "graph_url",
            "support_url",
            "connector_url",
            "ca_bundle",
            "tenant",
            "apps",
        ):
            assert key in record
        verify = ssl.create_default_context(cafile=record["ca_bundle"])
        for url in (record["identity_url"], record["connector_url"]):
            assert url.startswith("https://")
            assert httpx.get(f"{url}/readyz", verify=verify).json() == {"status": "ready"}
    finally:
        for server in servers:
            server.stop()


def test_demo_records_a_tenant_admin_and_a_support_engineer_who_can_sign_in(tmp_path):
    servers = start_demo(mode="basic", data_dir=tmp_path, cloud_port=free_port(), connector_port=free_port())
    try:
        record = json.loads((tmp_path / "demo.json").read_text())
        verify = ssl.create_default_context(cafile=record["ca_bundle"])
        admin = record["users"]["tenant_admin"]
        assert admin["user_name"] == "admin@contoso.onmicrosoft.com"
        integration = httpx.get(
            f"{record['identity_url']}/support/v1/tenants/{record['tenant']['id']}/integration",
            auth=(admin["user_name"], admin["password"]),
            verify=verify,
        )
        assert integration.json()["applicationId"] == record["apps"]["outbound"]["client_id"]
        assert "support_engineer" in record["users"]["support_engineer"]["roles"]
    finally:
        for server in servers:
            server.stop()
