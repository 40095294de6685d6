"""OAuth against ``/oauth_token.do`` (``httpx.MockTransport``): password grant, refresh-token rotation,
client credentials, and refusals that never carry a secret."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import httpx
import pytest

from m365bridge.connector.servicenow import errors
from m365bridge.connector.servicenow.auth import AuthType, Credentials, OAuthAuthenticator, Tokens
from tests.connector.servicenow.contract import INSTANCE, client, incident

PASSWORD = Credentials(
    AuthType.PASSWORD,
    user_name="m365.integration",
    password="pw-Very-Secret",
    client_id="cid",
    client_secret="cs-Secret",
)
CLIENT_CREDENTIALS = Credentials(AuthType.CLIENT_CREDENTIALS, client_id="cid", client_secret="cs-Secret")
T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


class Instance:
    """An instance's token endpoint and one table route; each grant issues numbered tokens."""

    def __init__(self) -> None:
        self.grants: list[dict[str, str]] = []
        self.refuse_refresh = False
        self.bearers: list[str] = []
        self.unauthorized_once = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth_token.do":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.grants.append(form)
            if form["grant_type"] == "refresh_token" and self.refuse_refresh:
                return httpx.Response(
                    401, json={"error_description": "access_denied", "error": "server_error"}
                )
            n = len(self.grants)
            body = {
                "access_token": f"access-{n}",
                "expires_in": 1800,
                "token_type": "Bearer",
                "scope": "useraccount",
            }
            if form["grant_type"] != "client_credentials":
                body["refresh_token"] = f"refresh-{n}"
            return httpx.Response(200, json=body)
        self.bearers.append(request.headers["Authorization"])
        if self.unauthorized_once:
            self.unauthorized_once = False
            return httpx.Response(
                401,
                json={
                    "error": {
                        "message": "User Not Authenticated",
                        "detail": "Required to provide Auth information",
                    },
                    "status": "failure",
                },
            )
        return httpx.Response(200, json={"result": incident("a" * 32, "2026-12-01 10:00:00")})


def authenticator(
    instance: Instance,
    credentials: Credentials,
    clock: list[dt.datetime],
    stored: list[Tokens],
    tokens: Tokens | None = None,
) -> OAuthAuthenticator:
    http = httpx.Client(base_url=INSTANCE, transport=httpx.MockTransport(instance))
    return OAuthAuthenticator(http, credentials, tokens, on_tokens=stored.append, now=lambda: clock[0])


def test_the_password_grant_gets_a_token_once_and_reuses_it():
    instance, clock, stored = Instance(), [T0], []
    sn = client(instance, authenticator=authenticator(instance, PASSWORD, clock, stored))

    sn.get_incident("a" * 32)
    sn.get_incident("a" * 32)

    assert [g["grant_type"] for g in instance.grants] == ["password"]
    assert instance.grants[0] == {
        "grant_type": "password",
        "username": "m365.integration",
        "password": "pw-Very-Secret",
        "client_id": "cid",
        "client_secret": "cs-Secret",
    }
    assert instance.bearers == ["Bearer access-1", "Bearer access-1"]
    assert [t.refresh_token for t in stored] == ["refresh-1"]


def test_an_expiring_token_is_refreshed_and_the_rotated_refresh_token_handed_over_to_be_stored():
    instance, clock, stored = Instance(), [T0], []
    sn = client(instance, authenticator=authenticator(instance, PASSWORD, clock, stored))
    sn.get_incident("a" * 32)

    clock[0] = T0 + dt.timedelta(seconds=1790)
    sn.get_incident("a" * 32)

    assert instance.grants[1] == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "client_id": "cid",
        "client_secret": "cs-Secret",
    }
    assert [t.refresh_token for t in stored] == ["refresh-1", "refresh-2"]
    assert instance.bearers[-1] == "Bearer access-2"


def test_a_stored_token_is_used_without_a_grant():
    instance, stored = Instance(), []
    kept = Tokens("kept-access", T0 + dt.timedelta(minutes=20), "kept-refresh", None)
    sn = client(instance, authenticator=authenticator(instance, PASSWORD, [T0], stored, kept))

    sn.get_incident("a" * 32)

    assert instance.grants == [] and instance.bearers == ["Bearer kept-access"]


def test_a_refused_refresh_token_falls_back_to_the_password_grant():
    instance, stored = Instance(), []
    instance.refuse_refresh = True
    expired = Tokens("old", T0 - dt.timedelta(seconds=1), "revoked-refresh", None)
    sn = client(instance, authenticator=authenticator(instance, PASSWORD, [T0], stored, expired))

    sn.get_incident("a" * 32)

    assert [g["grant_type"] for g in instance.grants] == ["refresh_token", "password"]
    assert stored[-1].refresh_token == "refresh-2"


def test_a_401_on_a_call_renews_the_token_once_and_retries():
    instance, stored = Instance(), []
    sn = client(instance, authenticator=authenticator(instance, PASSWORD, [T0], stored))
    sn.get_incident("a" * 32)
    instance.unauthorized_once = True

    sn.get_incident("a" * 32)

    assert [g["grant_type"] for g in instance.grants] == ["password", "refresh_token"]
    assert instance.bearers[-2:] == ["Bearer access-1", "Bearer access-2"]


def test_client_credentials_grant_has_no_user_and_no_refresh_token():
    instance, stored = Instance(), []
    sn = client(instance, authenticator=authenticator(instance, CLIENT_CREDENTIALS, [T0], stored))

    sn.get_incident("a" * 32)

    assert instance.grants == [
        {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "cs-Secret"}
    ]
    assert stored[0].refresh_token == ""


def test_a_refused_grant_says_what_to_check_and_never_shows_a_secret():
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error_description": "access_denied", "error": "server_error"})

    sn = client(refuse, authenticator=authenticator_for(refuse, PASSWORD))

    with pytest.raises(errors.TokenRefused) as raised:
        sn.get_incident("a" * 32)

    text = raised.value.explain() + repr(raised.value) + repr(PASSWORD)
    assert "access_denied" in text and "Application Registry" in raised.value.fix
    assert "pw-Very-Secret" not in text and "cs-Secret" not in text


def test_an_html_answer_from_the_token_endpoint_is_named_as_such():
    def hibernating(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>hibernating</html>", headers={"Content-Type": "text/html"})

    with pytest.raises(errors.NotJson) as raised:
        client(hibernating, authenticator=authenticator_for(hibernating, PASSWORD)).get_incident("a" * 32)

    assert "developer.servicenow.com" in raised.value.fix


def authenticator_for(handler, credentials: Credentials) -> OAuthAuthenticator:
    http = httpx.Client(base_url=INSTANCE, transport=httpx.MockTransport(handler))
    return OAuthAuthenticator(http, credentials)
