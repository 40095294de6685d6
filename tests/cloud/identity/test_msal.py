"""Microsoft's own MSAL for Python and PyJWT against the identity service served over https."""

import ssl

import httpx
import jwt
import msal
import pytest
import requests

from m365bridge.cloud.app import create_app
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE
from m365bridge.shared.serving import serving


@pytest.fixture
def https_url(cloud_context, tls):
    with serving(create_app(context=cloud_context), tls=tls) as server:
        # Tokens and discovery documents name this cloud by its base URL, as clients reach it.
        cloud_context.settings.public_url = server.url
        yield server.url


@pytest.fixture
def http(https_url, tls):
    """MSAL's HTTP session, our own: requests lets REQUESTS_CA_BUNDLE override MSAL's ``verify=``."""
    with requests.Session() as session:
        session.trust_env = False
        session.verify = str(tls.ca_cert)
        yield session  # closed before the server stops, so no keep-alive connection delays its shutdown


def msal_app(http, https_url, tenant, app, secret=None):
    return msal.ConfidentialClientApplication(
        app.client_id,
        client_credential=secret or app.secret,
        authority=f"{https_url}/{tenant}",
        http_client=http,
        instance_discovery=False,
        validate_authority=False,
    )


def verify_with_pyjwt(https_url, tls, tenant, token, audience, discovery_path):
    context = ssl.create_default_context(cafile=str(tls.ca_cert))
    document = httpx.get(f"{https_url}/{tenant}/{discovery_path}", verify=context).json()
    signing_key = jwt.PyJWKClient(document["jwks_uri"], ssl_context=context).get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=document["id_token_signing_alg_values_supported"],
        audience=audience,
        issuer=document["issuer"],
    )


def test_msal_acquires_a_v1_token_that_pyjwt_verifies(http, https_url, tls, directory):
    result = msal_app(http, https_url, directory.domain, directory.client).acquire_token_for_client(
        scopes=[f"{GRAPH_RESOURCE}/.default"]
    )
    assert "access_token" in result, result
    claims = verify_with_pyjwt(
        https_url,
        tls,
        directory.domain,
        result["access_token"],
        GRAPH_RESOURCE,
        ".well-known/openid-configuration",
    )
    assert claims["ver"] == "1.0"
    assert claims["appid"] == directory.client.client_id
    assert "ServiceHealth.Read.All" in claims["roles"]


def test_msal_acquires_a_v2_token_that_pyjwt_verifies(http, https_url, tls, directory):
    result = msal_app(http, https_url, directory.tenant_id, directory.client).acquire_token_for_client(
        scopes=["api://modern-api/.default"]
    )
    assert "access_token" in result, result
    claims = verify_with_pyjwt(
        https_url,
        tls,
        directory.tenant_id,
        result["access_token"],
        directory.v2_api.client_id,
        "v2.0/.well-known/openid-configuration",
    )
    assert claims["ver"] == "2.0"
    assert claims["iss"] == f"{https_url}/{directory.tenant_id}/v2.0"
    assert claims["azp"] == directory.client.client_id


def test_msal_surfaces_a_wrong_secret_as_aadsts7000215(http, https_url, tls, directory):
    app = msal_app(http, https_url, directory.domain, directory.client, secret="wrong-secret-value")
    result = app.acquire_token_for_client(scopes=[f"{GRAPH_RESOURCE}/.default"])
    assert result["error"] == "invalid_client"
    assert 7000215 in result["error_codes"]
    assert "AADSTS7000215" in result["error_description"]
