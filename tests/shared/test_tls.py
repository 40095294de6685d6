import ssl

import httpx
from fastapi import FastAPI

from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ensure_server_certificate


def test_https_server_is_trusted_through_the_local_ca(tmp_path):
    tls = ensure_server_certificate(tmp_path)
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    with serving(app, tls=tls) as server:
        assert server.url.startswith("https://localhost:")
        response = httpx.get(f"{server.url}/ping", verify=ssl.create_default_context(cafile=str(tls.ca_cert)))
        assert response.json() == {"pong": "yes"}
        untrusted = httpx.Client(verify=True)
        try:
            untrusted.get(f"{server.url}/ping")
            raise AssertionError("a client without the CA must refuse the certificate")
        except httpx.ConnectError:
            pass


def test_ca_is_reused_between_calls(tmp_path):
    first = ensure_server_certificate(tmp_path)
    ca_pem = first.ca_cert.read_bytes()
    second = ensure_server_certificate(tmp_path)
    assert second.ca_cert.read_bytes() == ca_pem
