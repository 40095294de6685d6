"""OIDC bearer tokens under attack (issue 15 items 8 and 9): claims of the wrong type, a JWKS that stops
answering, an entity removed by another process, and one slow provider against the others."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oidc import service as oidc_config
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import make_user
from tests.connector.auth.test_oidc import (
    AUDIENCE,
    ISSUER_V2,
    JWKS,
    METADATA,
    REST_USER_APP,
    call,
    claims,
    mint,
    new_key,
    public_jwk,
    refused_with_log,
)

OTHER_METADATA = "https://login.other-idp.test/tenant/.well-known/openid-configuration"
OTHER_JWKS = "https://login.other-idp.test/tenant/keys"
OTHER_ISSUER = "https://login.other-idp.test/tenant/v2.0"


@pytest.fixture(scope="module")
def signing_key():
    return new_key()


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def build(tmp_path, **settings) -> ConnectorContext:
    context = ConnectorContext.build(ConnectorSettings(data_dir=tmp_path / "connector", **settings))
    with transaction(context.sessions) as session:
        provider = oidc_config.create_provider(session, "Contoso Azure", METADATA)
        oidc_config.create_entity(session, "REST API", AUDIENCE, provider.id)
    make_user(context, REST_USER_APP, ["incident_manager"], web_service_access_only=True)
    return context


def test_a_list_as_issuer_is_a_401_not_a_crash(tmp_path, signing_key):
    context = build(tmp_path)
    header = {"alg": "RS256", "typ": "JWT", "kid": "key-1"}
    token = f"{b64(header)}.{b64(claims(iss=[ISSUER_V2, 'x']))}.c2lnbmF0dXJl"
    with respx.mock(assert_all_called=False) as mock, TestClient(create_app(context=context)) as http:
        mock.get(METADATA).respond(json={"issuer": ISSUER_V2, "jwks_uri": JWKS})
        mock.get(JWKS).respond(json={"keys": [public_jwk(signing_key, "key-1")]})

        message = refused_with_log(context, http, token)

    assert "iss has the wrong type" in message
    context.close()


def test_keys_past_their_max_age_are_not_trusted_when_the_refetch_fails(tmp_path, signing_key):
    context = build(tmp_path, jwks_max_age_seconds=1)
    with respx.mock() as mock, TestClient(create_app(context=context)) as http:
        mock.get(METADATA).respond(json={"issuer": ISSUER_V2, "jwks_uri": JWKS})
        keys = mock.get(JWKS).respond(json={"keys": [public_jwk(signing_key, "key-1")]})
        assert call(http, mint(signing_key)).status_code == 200
        time.sleep(1.1)  # the keys are now older than jwks_max_age_seconds
        keys.mock(side_effect=httpx.ConnectError("JWKS endpoint down"))

        during_the_refetch = call(http, mint(signing_key, jti="2"))
        after_the_refetch = call(http, mint(signing_key, jti="3"))

    assert during_the_refetch.status_code == 401
    assert after_the_refetch.status_code == 401  # not the stale keys for another max age
    context.close()


def test_a_token_stops_working_once_another_process_deleted_its_entity(tmp_path, signing_key):
    context = build(tmp_path, auth_cache_seconds=0)
    token = mint(signing_key)
    with respx.mock() as mock, TestClient(create_app(context=context)) as http:
        mock.get(METADATA).respond(json={"issuer": ISSUER_V2, "jwks_uri": JWKS})
        mock.get(JWKS).respond(json={"keys": [public_jwk(signing_key, "key-1")]})
        assert call(http, token).status_code == 200
        # The CLI in another process: its writes reach neither this process's caches nor their listeners.
        with sqlite3.connect(tmp_path / "connector" / "connector.db") as other_process:
            other_process.execute("DELETE FROM oidc_entity")

        after = call(http, token)

    assert after.status_code == 401
    context.close()


def test_a_slow_provider_does_not_hold_up_another_providers_tokens(tmp_path, signing_key):
    context = build(tmp_path)
    # Providers are tried by name: "Another" first, so its tokens need nothing of the slow one.
    with transaction(context.sessions) as session:
        other = oidc_config.create_provider(session, "Another IdP", OTHER_METADATA)
        oidc_config.create_entity(session, "Other API", AUDIENCE, other.id)
    order: list[str] = []
    other_answered = threading.Event()

    def slow_metadata(request: httpx.Request) -> httpx.Response:
        order.append("slow fetch started")
        order.append("released" if other_answered.wait(timeout=5) else "timed out")
        return httpx.Response(200, json={"issuer": ISSUER_V2, "jwks_uri": JWKS})

    with respx.mock() as mock, TestClient(create_app(context=context)) as http:
        mock.get(OTHER_METADATA).respond(json={"issuer": OTHER_ISSUER, "jwks_uri": OTHER_JWKS})
        mock.get(OTHER_JWKS).respond(json={"keys": [public_jwk(signing_key, "key-1")]})
        mock.get(METADATA).mock(side_effect=slow_metadata)
        mock.get(JWKS).respond(json={"keys": [public_jwk(signing_key, "key-1")]})

        slow = threading.Thread(
            target=lambda: order.append(f"slow {call(http, mint(signing_key)).status_code}")
        )
        slow.start()
        while not order:
            time.sleep(0.01)
        order.append(f"other {call(http, mint(signing_key, iss=OTHER_ISSUER, jti='2')).status_code}")
        other_answered.set()
        slow.join(timeout=30)

    assert order == ["slow fetch started", "other 200", "released", "slow 200"]
    context.close()
