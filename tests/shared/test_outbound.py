"""The outbound-URL guard: which addresses are refused, and that a call really goes to the checked address."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from m365bridge.shared.outbound import (
    OutboundPolicy,
    OutboundRefused,
    check_url,
    forbidden_kind,
    pinned_client,
)
from m365bridge.shared.tls import ensure_server_certificate

STRICT = OutboundPolicy()
DEV = OutboundPolicy(allow_private=True)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::1", "unique local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("192.0.2.1", "reserved"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_forbidden_address_kinds(address, kind):
    assert forbidden_kind(address) == kind


def test_a_name_resolving_to_a_private_address_is_refused():
    with pytest.raises(OutboundRefused, match=r"sn\.contoso\.example \(10\.9\.8\.7\) is a private address"):
        check_url("https://sn.contoso.example", STRICT, resolver=lambda host, port: ["10.9.8.7"])


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    resolver = lambda host, port: ["8.8.8.8", "192.168.0.10"]  # noqa: E731
    with pytest.raises(OutboundRefused, match="private"):
        check_url("https://sn.contoso.example", STRICT, resolver=resolver)


def test_a_public_name_and_an_unresolvable_one_are_accepted():
    assert check_url("https://sn.example", STRICT, resolver=lambda host, port: ["8.8.8.8"])
    assert check_url("https://not-yet.example", STRICT, resolver=_unresolvable)


def test_http_and_private_addresses_need_the_development_setting():
    with pytest.raises(OutboundRefused, match="must use https"):
        check_url("http://sn.example", STRICT, resolver=lambda host, port: ["8.8.8.8"])
    assert check_url("http://127.0.0.1:8500", DEV) == "http://127.0.0.1:8500"


def _unresolvable(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@dataclass
class TlsServer:
    """A one-request-per-connection https server on 127.0.0.1 with a certificate for ``connector.test``."""

    port: int
    sni: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    connections: int = 0


@pytest.fixture
def tls_server(tmp_path) -> Iterator[tuple[TlsServer, ssl.SSLContext]]:
    cert = ensure_server_certificate(tmp_path / "tls", names=("connector.test",))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert, cert.key)
    listener = socket.create_server(("127.0.0.1", 0))
    server = TlsServer(port=listener.getsockname()[1])
    context.sni_callback = lambda sock, name, ctx: server.sni.append(name)  # type: ignore[assignment,misc]
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            server.connections += 1
            with context.wrap_socket(raw, server_side=True) as conn:
                request = conn.recv(65536).decode("latin-1")
                host = next(line for line in request.split("\r\n") if line.lower().startswith("host:"))
                server.hosts.append(host.split(":", 1)[1].strip())
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server, ssl.create_default_context(cafile=str(cert.ca_cert))
    stop.set()
    thread.join()
    listener.close()


def test_the_pinned_client_connects_to_the_checked_address_with_the_name_for_tls_and_host(tls_server):
    server, verify = tls_server
    resolved: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["127.0.0.1"]  # nothing else resolves connector.test: only the checked answer can be used

    with pinned_client(DEV, timeout=5, verify=verify, resolver=resolver) as client:
        response = client.get(f"https://connector.test:{server.port}/probe")
    assert response.text == "ok"
    assert resolved == ["connector.test"]  # one resolution: the one that was checked is the one dialled
    assert server.sni == ["connector.test"]  # the certificate was checked against the name
    assert server.hosts == [f"connector.test:{server.port}"]


def test_the_pinned_client_never_connects_to_a_refused_address(tls_server):
    server, verify = tls_server
    with pinned_client(STRICT, timeout=5, verify=verify, resolver=lambda host, port: ["127.0.0.1"]) as client:
        with pytest.raises(httpx.ConnectError, match="loopback"):
            client.get(f"https://connector.test:{server.port}/probe")
        with pytest.raises(httpx.ConnectError, match="plain http"):
            client.get(f"http://connector.test:{server.port}/probe")
    assert server.connections == 0


def test_the_operators_own_hosts_are_called_as_configured(tls_server):
    server, verify = tls_server
    policy = OutboundPolicy(trusted_hosts=frozenset({"connector.test"}))
    with pinned_client(policy, timeout=5, verify=verify, resolver=lambda host, port: ["127.0.0.1"]) as client:
        assert client.get(f"https://connector.test:{server.port}/").text == "ok"
