"""The one HTTP client of a connector's endpoint (and of the token issuer the AAD mode uses).

Every failure becomes a ``RetriableError`` (try later; ``retry_after`` when the server said so), an
``Unauthorized`` (the token was refused: re-authenticate once) or a ``PermanentError`` (do not retry).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.outbound import OutboundPolicy, pinned_client


def outbound_policy(settings: CloudSettings) -> OutboundPolicy:
    """Which addresses a connector call may reach: public ones, unless the development setting is on.

    The identity service the AAD mode gets tokens from is the operator's choice (a setting), not a tenant
    admin's, so its host is called as configured.
    """
    identity = urlsplit(settings.identity_url or settings.base_url).hostname
    return replace(
        settings.outbound_policy, trusted_hosts=frozenset({identity.lower()} if identity else set())
    )


def outbound_http(context: CloudContext) -> httpx.Client:
    """The HTTP client for connectors: system CAs plus the configured extra bundle (demo's local CA), and
    connections only to addresses ``outbound_policy`` allows, pinned (``shared.outbound``)."""
    settings = context.settings
    verify: ssl.SSLContext | bool = True
    if settings.outbound_ca_file:
        verify = ssl.create_default_context()
        verify.load_verify_locations(cafile=str(settings.outbound_ca_file))
    return pinned_client(
        outbound_policy(settings), timeout=settings.outbox_http_timeout_seconds, verify=verify
    )


HTTP_EXTRA = "support.connector_http"


def shared_http(context: CloudContext) -> httpx.Client:
    """The process's client for connector calls made inside requests (probe), kept in ``context.extras``."""
    client = context.extras.get(HTTP_EXTRA)
    if client is None:
        client = context.extras[HTTP_EXTRA] = outbound_http(context)
    assert isinstance(client, httpx.Client)
    return client


# ServiceNow and connectors answer these with "try again": timeout, conflict, throttling.
RETRIABLE_4XX = frozenset({408, 409, 429})


class ConnectorError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RetriableError(ConnectorError):
    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class Unauthorized(RetriableError):
    """401 from the endpoint: the bearer token is no longer accepted."""


class PermanentError(ConnectorError):
    pass


class GrantRejected(PermanentError):
    """The token endpoint refused the credentials or the refresh token (400/401)."""


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    refresh_token: str | None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _short(response: httpx.Response) -> str:
    return response.text[:300].replace("\n", " ")


def _classify(response: httpx.Response, what: str) -> ConnectorError:
    code = response.status_code
    message = f"{what}: HTTP {code} {_short(response)}"
    if code == 401:
        return Unauthorized(message, status_code=code)
    if code >= 500 or code in RETRIABLE_4XX:
        return RetriableError(message, status_code=code, retry_after=_retry_after(response))
    return PermanentError(message, status_code=code)


class ConnectorClient:
    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def _send(self, what: str, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise RetriableError(f"{what}: timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise RetriableError(f"{what}: cannot connect ({exc})") from exc

    def _token(self, what: str, url: str, form: dict[str, str]) -> TokenResponse:
        response = self._send(what, "POST", url, data=form, headers={"Accept": "application/json"})
        if response.status_code in (400, 401):
            raise GrantRejected(f"{what}: HTTP {response.status_code} {_short(response)}", status_code=400)
        if not response.is_success:
            raise _classify(response, what)
        try:
            body = response.json()
            return TokenResponse(
                access_token=str(body["access_token"]),
                expires_in=int(body.get("expires_in", 1800)),
                refresh_token=body.get("refresh_token"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError(f"{what}: the answer is not a token response") from exc

    def password_grant(
        self, endpoint: str, *, client_id: str, client_secret: str, username: str, password: str
    ) -> TokenResponse:
        form = {
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": client_secret,
            "username": username,
            "password": password,
        }
        return self._token("password grant", f"{endpoint}/oauth_token.do", form)

    def refresh_grant(
        self, endpoint: str, *, client_id: str, client_secret: str, refresh_token: str
    ) -> TokenResponse:
        form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        return self._token("refresh token grant", f"{endpoint}/oauth_token.do", form)

    def client_credentials(
        self, token_url: str, *, client_id: str, client_secret: str, resource: str
    ) -> TokenResponse:
        """Entra's v1 client-credentials grant (``resource``), as the REST user app."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "resource": resource,
        }
        return self._token("client credentials grant", token_url, form)

    def post_event(self, endpoint: str, bearer: str, payload: str) -> None:
        headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
        response = self._send(
            "event delivery", "POST", f"{endpoint}/v1/events", content=payload, headers=headers
        )
        if not response.is_success:
            raise _classify(response, "event delivery")

    def probe(self, endpoint: str, bearer: str) -> int:
        response = self._send(
            "probe", "GET", f"{endpoint}/probe", headers={"Authorization": f"Bearer {bearer}"}
        )
        if not response.is_success:
            raise _classify(response, "probe")
        return response.status_code
