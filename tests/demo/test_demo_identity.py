import json
import ssl

import httpx
import jwt

from m365bridge.demo.runner import start_demo
from m365bridge.shared.serving import free_port


def token(record, verify, app, resource):
    response = httpx.post(
        f"{record['identity_url']}/{record['tenant']['domain']}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "resource": resource,
        },
        verify=verify,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def verified_claims(record, verify, access_token, audience):
    base = f"{record['identity_url']}/{record['tenant']['id']}"
    document = httpx.get(f"{base}/.well-known/openid-configuration", verify=verify).json()
    key = jwt.PyJWKClient(document["jwks_uri"], ssl_context=verify).get_signing_key_from_jwt(access_token)
    return jwt.decode(
        access_token, key.key, algorithms=["RS256"], audience=audience, issuer=document["issuer"]
    )


def start(data_dir):
    servers = start_demo(mode="aad", data_dir=data_dir, cloud_port=free_port(), connector_port=free_port())
    return servers, json.loads((data_dir / "demo.json").read_text())


def test_demo_rest_user_gets_a_token_for_the_rest_api_and_outbound_for_graph(tmp_path):
    servers, record = start(tmp_path)
    try:
        verify = ssl.create_default_context(cafile=record["ca_bundle"])
        assert record["tenant"]["domain"] == "contoso.onmicrosoft.com"
        rest_api, rest_user = record["apps"]["rest_api"], record["apps"]["rest_user"]
        assert rest_api["app_id_uri"] == f"api://{rest_api['client_id']}"
        claims = verified_claims(
            record, verify, token(record, verify, rest_user, rest_api["app_id_uri"]), rest_api["app_id_uri"]
        )
        assert claims["appid"] == rest_user["client_id"]
        assert claims["tid"] == record["tenant"]["id"]
        outbound = record["apps"]["outbound"]
        graph = "https://graph.microsoft.com"
        claims = verified_claims(record, verify, token(record, verify, outbound, graph), graph)
        assert set(claims["roles"]) == {"ServiceHealth.Read.All", "ServiceMessage.Read.All"}
    finally:
        for server in servers:
            server.stop()


def test_restarted_demo_keeps_tenant_and_apps_and_earlier_secrets(tmp_path):
    servers, first = start(tmp_path)
    for server in servers:
        server.stop()
    servers, second = start(tmp_path)
    try:
        assert second["tenant"] == first["tenant"]
        for role in ("outbound", "rest_api", "rest_user"):
            assert second["apps"][role]["client_id"] == first["apps"][role]["client_id"]
        verify = ssl.create_default_context(cafile=second["ca_bundle"])
        token(second, verify, first["apps"]["outbound"], "api://m365-support")
    finally:
        for server in servers:
            server.stop()
