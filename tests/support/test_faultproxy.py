import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.support.faultproxy import FaultProxy

BODY = bytes(range(256)) * 64  # 16 KiB, so a cut lands inside the body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a pooled client holds its connection

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Clients cut off by the proxy are the point of these tests, not errors worth a traceback.

        (Printing one from a handler thread also trips a CPython 3.11 bug in concurrent ast.parse.)
        """


@contextmanager
def serve(server: ThreadingHTTPServer) -> Iterator[tuple[str, int]]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[0], server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def upstream() -> Iterator[tuple[str, int]]:
    with serve(QuietServer(("127.0.0.1", 0), Handler)) as address:
        yield address


@pytest.fixture
def proxy(upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream) as running:
        yield running


def fetch(proxy: FaultProxy, timeout: float = 5.0) -> httpx.Response:
    return httpx.get(proxy.url(), timeout=timeout)


def test_pass_forwards_the_whole_exchange_and_counts_it(proxy):
    assert fetch(proxy).content == BODY
    assert proxy.stats.connections == 1
    assert proxy.stats.bytes_to_client > len(BODY)
    assert proxy.stats.bytes_to_upstream > 0
    assert sum(proxy.stats.faults.values()) == 0


def test_delay_holds_each_new_connection_back(proxy):
    proxy.delay(300)
    started = time.monotonic()
    assert fetch(proxy).content == BODY
    assert time.monotonic() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        fetch(proxy, timeout=0.1)
    assert proxy.stats.faults["delay"] == 2


def test_drop_closes_without_an_answer(proxy):
    proxy.drop()
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        fetch(proxy)
    assert proxy.stats.faults["drop"] == 1
    assert proxy.stats.bytes_to_upstream == 0


def test_refuse_stops_listening_until_switched_back(proxy):
    proxy.refuse()
    with pytest.raises(httpx.ConnectError):
        fetch(proxy)
    proxy.pass_through()
    assert fetch(proxy).content == BODY


def test_reset_aborts_the_connection_with_rst(proxy):
    proxy.reset()
    with pytest.raises(httpx.ReadError, match="reset by peer"):
        fetch(proxy)
    assert proxy.stats.faults["reset"] == 1


def test_cut_forwards_only_the_first_bytes_of_the_answer(proxy):
    proxy.cut_response(1000)
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        fetch(proxy)
    assert proxy.stats.bytes_to_client == 1000
    assert proxy.stats.faults["cut"] == 1


def test_disconnect_all_makes_a_pooled_client_reconnect_under_the_new_mode(proxy):
    with httpx.Client(timeout=5) as client:
        assert client.get(proxy.url()).status_code == 200
        proxy.drop()
        proxy.disconnect_all()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(proxy.url())


def test_tls_passes_through_and_is_verified_against_the_upstream_certificate(tls):
    server = QuietServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    verify = ssl.create_default_context(cafile=str(tls.ca_cert))
    with serve(server) as address, FaultProxy(address) as proxy:
        response = httpx.get(proxy.url("https", host="localhost"), verify=verify, timeout=5)
        assert response.content == BODY
        proxy.drop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(proxy.url("https", host="localhost"), verify=verify, timeout=5)
