"""SSRF through a repository Endpoint (issue 15 item 1): a tenant admin cannot point the cloud at its own
network, and the probe tells its caller nothing about what answered there."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from m365bridge.cloud.connectors.client import outbound_policy
from m365bridge.cloud.integration import service as integration
from m365bridge.cloud.integration.service import RepositoryInput
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.outbound import forbidden_kind, resolve
from m365bridge.shared.serving import free_port
from tests.cloud.cases.conftest import token_for
from tests.cloud.identity.conftest import make_directory
from tests.cloud.integration.test_settings_pages import PAGE, signed_in_admin
from tests.cloud.people import TENANT, add_admin

API = f"/support/v1/tenants/{TENANT}/integration/repositories"
INTERNAL_ANSWER = "internal-service-secret-banner"


def repository(endpoint: str, name: str = "contoso-sn") -> dict[str, object]:
    return {
        "repository": name,
        "endpoint": endpoint,
        "authenticationType": "Basic Auth",
        "clientId": "sn-client",
        "clientSecret": "sn-client-secret-123",
        "restUsername": "m365_integration",
        "restUserPassword": "rest-password-456",
    }


def own_hostname() -> str:
    """This machine's name, which resolves to one of its own (loopback or private) addresses."""
    name = socket.gethostname()
    try:
        addresses = resolve(name, 443)
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if not any(forbidden_kind(a) for a in addresses):
        pytest.skip(f"{name} resolves to public addresses here")
    return name


INTERNAL = [
    "https://127.0.0.1:8500",
    "http://127.0.0.1:8500",
    "https://10.0.0.5",
    "https://169.254.169.254",
    "https://[::1]:8443",
    "https://[fd00::1]",
    "https://localhost:8443",
]


def cloud_settings_for(tmp_path, *, dev: bool) -> CloudSettings:
    return CloudSettings(data_dir=tmp_path / "cloud", allow_private_endpoints=dev)


class TestStrict:
    @pytest.fixture
    def cloud_settings(self, tmp_path):
        return cloud_settings_for(tmp_path, dev=False)

    @pytest.mark.parametrize("endpoint", [*INTERNAL, "own-hostname"])
    def test_an_internal_endpoint_is_refused_with_a_clear_message_and_nothing_stored(
        self, cloud_client, cloud_context, endpoint
    ):
        if endpoint == "own-hostname":
            endpoint = f"https://{own_hostname()}"
        cloud_client.auth = add_admin(cloud_context)
        response = cloud_client.post(API, json=repository(endpoint))
        assert response.status_code == 400
        message = response.json()["error"]["message"]
        assert "only public addresses" in message or "must use https" in message
        assert "allow_private_endpoints" in message or "only public addresses" in message
        assert cloud_client.get(API).json() == []

    def test_editing_an_endpoint_to_an_internal_address_is_refused(self, cloud_client, cloud_context):
        cloud_client.auth = add_admin(cloud_context)
        assert cloud_client.post(API, json=repository("https://sn.contoso.example")).status_code == 201
        response = cloud_client.put(f"{API}/contoso-sn", json=repository("https://169.254.169.254"))
        assert response.status_code == 400
        assert "link-local" in response.json()["error"]["message"]
        assert [r["endpoint"] for r in cloud_client.get(API).json()] == ["https://sn.contoso.example"]

    def test_the_admin_page_refuses_it_too(self, cloud_client, cloud_context):
        csrf = signed_in_admin(cloud_client, cloud_context)
        form = {
            "csrf_token": csrf,
            "repository": "contoso-sn",
            "endpoint": "https://10.0.0.5",
            "auth_type": "Basic Auth",
            "client_id": "sn-client",
            "client_secret": "s",
            "refresh_token_expiry": "864000",
            "rest_username": "u",
            "rest_password": "p",
        }
        response = cloud_client.post(f"{PAGE}/repositories/new", data=form)
        assert response.status_code == 400
        assert "10.0.0.5 is a private address" in response.text


class TestDevelopmentSetting:
    @pytest.fixture
    def cloud_settings(self, tmp_path):
        return cloud_settings_for(tmp_path, dev=True)

    @pytest.mark.parametrize("endpoint", INTERNAL)
    def test_internal_endpoints_are_accepted_when_the_setting_is_on(
        self, cloud_client, cloud_context, endpoint
    ):
        cloud_client.auth = add_admin(cloud_context)
        response = cloud_client.post(API, json=repository(endpoint))
        assert response.status_code == 201, response.text


@pytest.fixture
def internal_http() -> Iterator[int]:
    """A plain TCP service on loopback that answers anything with an internal banner (not a connector)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                body = INTERNAL_ANSWER.encode()
                conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


@pytest.fixture
def garbage_tcp() -> Iterator[int]:
    """A port that accepts and answers with bytes that are not HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


class TestProbe:
    """Even with the development setting on (the cloud may call loopback), the probe's answer is generic."""

    @pytest.fixture
    def cloud_settings(self, tmp_path):
        return cloud_settings_for(tmp_path, dev=True)

    def probe(
        self, cloud_client, cloud_context, endpoint: str, domain: str = "contoso.onmicrosoft.com"
    ) -> dict:
        """A tenant whose one repository is ``endpoint``, and its connector's call of the probe."""
        directory = make_directory(cloud_context, domain)
        data = RepositoryInput(
            "probe-target",
            endpoint,
            "Basic Auth",
            client_id="c",
            client_secret="s",
            rest_username="u",
            rest_password="p",
        )
        with transaction(cloud_context.sessions) as session:
            integration.save_basic_information(
                session, directory.tenant_id, app_id=directory.client.client_id
            )
            integration.add_repository(
                session,
                directory.tenant_id,
                data,
                cloud_context.secrets,
                outbound_policy(cloud_context.settings),
            )
        token = token_for(
            cloud_client, directory.tenant_id, directory.client.client_id, directory.client.secret
        )
        response = cloud_client.post(
            "/support/v1/repositories/probe-target/probe", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        return response.json()

    def test_the_probe_does_not_echo_the_internal_answer(self, cloud_client, cloud_context, internal_http):
        body = self.probe(cloud_client, cloud_context, f"http://127.0.0.1:{internal_http}")
        assert body["ok"] is False
        assert INTERNAL_ANSWER not in str(body)
        assert "500" not in body["message"]
        assert body.get("statusCode") is None

    def test_a_closed_port_and_a_service_that_is_not_http_read_the_same(
        self, cloud_client, cloud_context, garbage_tcp, internal_http
    ):
        answers = {}
        for name, port in (("closed", free_port()), ("not http", garbage_tcp), ("http 500", internal_http)):
            body = self.probe(
                cloud_client, cloud_context, f"http://127.0.0.1:{port}", f"{port}.onmicrosoft.com"
            )
            answers[name] = {**body, "message": body["message"].replace(str(port), "PORT")}
        assert answers["closed"] == answers["not http"] == answers["http 500"]
