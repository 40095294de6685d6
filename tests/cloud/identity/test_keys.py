import jwt
import pytest

from m365bridge.cloud.identity import service
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE
from m365bridge.cloud.identity.verification import TokenRejected, verify_access_token
from m365bridge.shared.db import transaction


def graph_token(client, directory):
    form = {
        "grant_type": "client_credentials",
        "client_id": directory.client.client_id,
        "client_secret": directory.client.secret,
        "resource": GRAPH_RESOURCE,
    }
    return client.post(f"/{directory.domain}/oauth2/token", data=form).json()["access_token"]


def published_kids(client, directory, path="discovery/keys"):
    return [key["kid"] for key in client.get(f"/{directory.domain}/{path}").json()["keys"]]


def rotate(context):
    with transaction(context.sessions) as session:
        return service.rotate_signing_key(session, context.secrets).kid


def test_jwks_publishes_the_signing_key_as_entra_does(cloud_client, directory):
    token = graph_token(cloud_client, directory)
    header = jwt.get_unverified_header(token)
    (key,) = cloud_client.get(f"/{directory.tenant_id}/discovery/keys").json()["keys"]
    assert key["kid"] == header["kid"] == header["x5t"] == key["x5t"]
    assert (key["kty"], key["use"], key["e"]) == ("RSA", "sig", "AQAB")
    assert key["n"] and key["x5c"]


def test_new_tokens_use_the_rotated_key_and_old_ones_verify_during_grace(
    cloud_client, cloud_context, directory
):
    old_token = graph_token(cloud_client, directory)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new_kid = rotate(cloud_context)
    assert jwt.get_unverified_header(graph_token(cloud_client, directory))["kid"] == new_kid
    assert set(published_kids(cloud_client, directory)) == {old_kid, new_kid}
    verify_access_token(cloud_context, old_token, audiences=[GRAPH_RESOURCE])


def test_old_key_is_neither_published_nor_accepted_after_grace(cloud_client, cloud_context, directory):
    cloud_context.settings.identity_key_grace_hours = 0
    old_token = graph_token(cloud_client, directory)
    new_kid = rotate(cloud_context)
    assert published_kids(cloud_client, directory, "discovery/v2.0/keys") == [new_kid]
    with pytest.raises(TokenRejected, match="no longer"):
        verify_access_token(cloud_context, old_token, audiences=[GRAPH_RESOURCE])


def test_discovery_documents_state_the_issuer_tokens_carry(cloud_client, cloud_context, directory):
    v1 = cloud_client.get(f"/{directory.domain}/.well-known/openid-configuration").json()
    v2 = cloud_client.get(f"/{directory.domain}/v2.0/.well-known/openid-configuration").json()
    base = cloud_context.settings.base_url
    assert v1["issuer"] == f"https://sts.windows.net/{directory.tenant_id}/"
    assert v2["issuer"] == f"{base}/{directory.tenant_id}/v2.0"
    assert v1["token_endpoint"] == f"{base}/{directory.tenant_id}/oauth2/token"
    assert v2["token_endpoint"] == f"{base}/{directory.tenant_id}/oauth2/v2.0/token"
    assert v2["jwks_uri"] == f"{base}/{directory.tenant_id}/discovery/v2.0/keys"
    assert v1["id_token_signing_alg_values_supported"] == ["RS256"]


def test_discovery_of_an_unknown_tenant_is_aadsts90002(cloud_client, directory):
    response = cloud_client.get("/nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [90002]


def test_authorize_endpoint_answers_an_aadsts_error(cloud_client, directory):
    response = cloud_client.get(f"/{directory.domain}/oauth2/v2.0/authorize?response_type=code")
    assert response.status_code == 400
    assert response.json()["error_description"].startswith("AADSTS700054")
