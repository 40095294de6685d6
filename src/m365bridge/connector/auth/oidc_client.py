"""The one HTTP client for OIDC providers: their metadata document and their JWKS."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from m365bridge.shared.outbound import OutboundPolicy, PinnedTransport


class OIDCFetchError(Exception):
    """The provider's metadata or keys could not be fetched or parsed."""


class OIDCProviderClient:
    def __init__(
        self, verify: ssl.SSLContext | bool, timeout: float = 10.0, policy: OutboundPolicy | None = None
    ) -> None:
        # The metadata URL and the jwks_uri it names are admin-entered and provider-chosen: public https
        # addresses only, pinned (``shared.outbound``), unless the development setting allows private ones.
        transport = PinnedTransport(policy or OutboundPolicy(), verify=verify)
        self._http = httpx.Client(verify=verify, timeout=timeout, follow_redirects=False, transport=transport)

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OIDCFetchError(f"GET {url} failed: {exc}") from exc
        if not isinstance(body, dict):
            raise OIDCFetchError(f"GET {url} did not return a JSON object")
        return body

    def metadata(self, url: str) -> tuple[str, str]:
        """The provider's ``issuer`` and ``jwks_uri`` from its OpenID configuration."""
        body = self._get_json(url)
        issuer, jwks_uri = body.get("issuer"), body.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise OIDCFetchError(f"{url} has no issuer or jwks_uri")
        return issuer, jwks_uri

    def jwks(self, url: str) -> list[dict[str, Any]]:
        keys = self._get_json(url).get("keys")
        if not isinstance(keys, list):
            raise OIDCFetchError(f"{url} has no keys list")
        return [k for k in keys if isinstance(k, dict)]

    def close(self) -> None:
        self._http.close()
