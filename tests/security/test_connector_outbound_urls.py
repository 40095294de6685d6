"""Admin-entered URLs on the connector (issue 15 item 12): token, Graph and support URLs and OIDC metadata
(and its jwks_uri) lead only to https at public addresses, unless the development setting is on."""

from __future__ import annotations

import httpx
import pytest

from m365bridge.connector.auth.oidc.client import OIDCFetchError
from m365bridge.connector.auth.oidc.keys import cache_of
from m365bridge.connector.http import outbound_client

INTERNAL = [
    "https://127.0.0.1:9/oauth2/token",
    "https://10.0.0.5/v1.0",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]:9/support",
    "https://[fd00::1]/support",
    "http://login.example/oauth2/token",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_the_connectors_outbound_clients_refuse_internal_or_plain_http_urls(connector_context, url):
    with (
        outbound_client(connector_context, name="test") as client,
        pytest.raises(httpx.ConnectError) as refused,
    ):
        client.get(url)
    assert "allow_private_endpoints" in str(refused.value) or "only public addresses" in str(refused.value)


@pytest.mark.parametrize("url", INTERNAL[:2])
def test_oidc_metadata_and_jwks_fetches_are_refused_too(connector_context, url):
    with pytest.raises(OIDCFetchError, match=r"only public addresses|plain http"):
        cache_of(connector_context).client.metadata(url)
    with pytest.raises(OIDCFetchError, match=r"only public addresses|plain http"):
        cache_of(connector_context).client.jwks(url)


class TestDevelopmentSetting:
    @pytest.fixture
    def connector_settings(self, connector_settings):
        return connector_settings.model_copy(update={"allow_private_endpoints": True})

    def test_loopback_is_called_when_the_setting_is_on(self, connector_context):
        with (
            outbound_client(connector_context, name="test") as client,
            pytest.raises(httpx.ConnectError) as failed,
        ):
            client.get("https://127.0.0.1:9/oauth2/token")  # nothing listens there: refused by the OS
        assert "only public addresses" not in str(failed.value)
