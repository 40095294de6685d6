import pytest

from m365bridge.cloud.identity.resources import GRAPH_RESOURCE
from m365bridge.cloud.identity.verification import TokenRejected, verify_access_token
from m365bridge.cloud.settings import CloudSettings


@pytest.fixture
def cloud_settings(tmp_path):
    return CloudSettings(
        data_dir=tmp_path / "cloud",
        public_url="https://login.example.test",
        identity_v1_issuer="{base_url}/{tid}/",
    )


def test_configured_issuer_is_in_tokens_and_discovery(cloud_client, cloud_context, directory):
    form = {
        "grant_type": "client_credentials",
        "client_id": directory.client.client_id,
        "client_secret": directory.client.secret,
        "resource": GRAPH_RESOURCE,
    }
    access_token = cloud_client.post(f"/{directory.domain}/oauth2/token", data=form).json()["access_token"]
    token = verify_access_token(cloud_context, access_token, audiences=[GRAPH_RESOURCE])
    document = cloud_client.get(f"/{directory.domain}/.well-known/openid-configuration").json()
    assert token.claims["iss"] == document["issuer"] == f"https://login.example.test/{directory.tenant_id}/"


def test_token_of_another_issuer_is_rejected(cloud_client, cloud_context, directory):
    form = {
        "grant_type": "client_credentials",
        "client_id": directory.client.client_id,
        "client_secret": directory.client.secret,
        "resource": GRAPH_RESOURCE,
    }
    access_token = cloud_client.post(f"/{directory.domain}/oauth2/token", data=form).json()["access_token"]
    cloud_context.settings.identity_v1_issuer = "https://sts.windows.net/{tid}/"
    with pytest.raises(TokenRejected, match="issuer"):
        verify_access_token(cloud_context, access_token, audiences=[GRAPH_RESOURCE])


def test_a_token_over_16_kb_is_refused_before_it_is_parsed(cloud_context):
    # A valid-looking three-part token whose header would fail parsing: the size check must come first.
    oversized = "e" * (16 * 1024) + ".e.e"

    with pytest.raises(TokenRejected, match="longer than"):
        verify_access_token(cloud_context, oversized, audiences=[GRAPH_RESOURCE])
