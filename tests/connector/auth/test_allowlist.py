from fastapi.testclient import TestClient

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.allowlist import service as allowlist
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs import system_log
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API, basic, make_user


def build(tmp_path, **settings):
    context = ConnectorContext.build(
        ConnectorSettings(data_dir=tmp_path, inbound_allowlist_enabled=True, **settings)
    )
    make_user(context, "integration", web_service_access_only=True)
    return context


def test_an_address_off_the_allowlist_gets_403_and_a_log_line(tmp_path):
    context = build(tmp_path)
    with transaction(context.sessions) as session:
        allowlist.add(session, "52.149.152.32")
    with TestClient(create_app(context=context)) as client:
        response = client.get(f"{API}/whoami", headers=basic("integration"))
    assert response.status_code == 403
    assert response.json()["status"] == "failure"
    with transaction(context.sessions) as session:
        assert any("address not allowed" in line.message for line in system_log.search(session))
    context.close()


def test_forwarded_for_is_believed_only_from_trusted_proxies(tmp_path):
    context = build(tmp_path, trusted_proxies=["127.0.0.1"])
    with transaction(context.sessions) as session:
        allowlist.add(session, "40.83.0.0/16")
    # The TestClient's peer is "testclient" (not an IP), so it is never a trusted proxy: XFF is ignored.
    with TestClient(create_app(context=context)) as client:
        spoofed = client.get(
            f"{API}/whoami", headers={**basic("integration"), "X-Forwarded-For": "40.83.232.243"}
        )
    assert spoofed.status_code == 403
    context.close()


def test_client_address_walks_past_trusted_proxies():
    from starlette.requests import Request

    from m365bridge.connector.auth.addresses import client_address

    scope = {
        "type": "http",
        "client": ("10.0.0.5", 1234),
        "headers": [(b"x-forwarded-for", b"6.6.6.6, 40.83.232.243, 10.0.0.9")],
    }
    assert client_address(Request(scope), ["10.0.0.0/8"]) == "40.83.232.243"
    assert client_address(Request(scope), []) == "10.0.0.5"
