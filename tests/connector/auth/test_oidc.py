import base64
import json
import time
import uuid

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from m365bridge.connector.auth.oidc import service as oidc_config
from m365bridge.connector.auth.oidc.client import OIDCProviderClient
from m365bridge.connector.auth.oidc.keys import OIDCCache
from m365bridge.connector.logs import http_log, system_log
from m365bridge.connector.users import service
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API, make_user

TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "99999999-2222-3333-4444-555555555555"
AUTHORITY = "https://login.idp.test"
METADATA = f"{AUTHORITY}/{TENANT}/v2.0/.well-known/openid-configuration"
JWKS = f"{AUTHORITY}/{TENANT}/discovery/v2.0/keys"
ISSUER_V2 = f"{AUTHORITY}/{TENANT}/v2.0"
ISSUER_V1 = f"https://sts.idp.test/{TENANT}/"
AUDIENCE = "api://rest-api-app"
REST_USER_APP = "aaaaaaaa-0000-0000-0000-000000000001"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture(scope="module")
def signing_key():
    return new_key()


@pytest.fixture
def idp(signing_key):
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        mock.get(METADATA).respond(json={"issuer": ISSUER_V2, "jwks_uri": JWKS})
        keys_route = mock.get(JWKS).respond(json={"keys": [public_jwk(signing_key, "key-1")]})
        yield keys_route


@pytest.fixture
def configured(connector_context):
    with transaction(connector_context.sessions) as session:
        provider = oidc_config.create_provider(session, "Contoso Azure", METADATA, extra_issuer=ISSUER_V1)
        oidc_config.create_entity(session, "REST API", AUDIENCE, provider.id)
    make_user(connector_context, REST_USER_APP, ["incident_manager"], web_service_access_only=True)


def claims(**overrides):
    now = int(time.time())
    base = {
        "iss": ISSUER_V2,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "azp": REST_USER_APP,
        "tid": TENANT,
        "ver": "2.0",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def mint(key, kid="key-1", **overrides):
    return jwt.encode(claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


def call(client, token):
    return client.get(f"{API}/whoami", headers={"Authorization": f"Bearer {token}"})


def refused_with_log(context, client, token):
    response = call(client, token)
    assert response.status_code == 401
    assert response.json()["status"] == "failure"
    with transaction(context.sessions) as session:
        lines = system_log.search(session, source=system_log.APP_SOURCE)
    assert any(line.message.startswith("Inbound request refused: bearer token") for line in lines)
    assert all(token not in json.dumps(line.context) + line.message for line in lines)
    return lines[0].message


def test_a_v2_token_from_the_providers_jwks_is_accepted(
    connector_context, connector_client, idp, configured, signing_key
):
    response = call(connector_client, mint(signing_key))

    assert response.status_code == 200
    assert response.json()["result"]["user_name"] == REST_USER_APP
    assert response.json()["result"]["method"] == "oidc"


def test_a_v1_token_with_the_configured_extra_issuer_is_accepted(
    connector_context, connector_client, idp, configured, signing_key
):
    token = mint(signing_key, iss=ISSUER_V1, azp=None, appid=REST_USER_APP, ver="1.0")

    assert call(connector_client, token).status_code == 200


def _unsigned(payload):
    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'key-1'})}.{b64(payload)}."


def _hs256_with_public_key(key):
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": "key-1", "typ": "JWT"}
    segments = [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=") for p in (header, claims())]
    import hashlib
    import hmac

    signing_input = b".".join(segments)
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature.rstrip(b"=")).decode()


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda key: _unsigned(claims()), id="alg-none"),
        pytest.param(_hs256_with_public_key, id="hs256-with-public-key"),
        pytest.param(lambda key: mint(new_key()), id="key-not-in-jwks"),
        pytest.param(lambda key: mint(new_key(), kid="unknown-kid"), id="unknown-kid"),
        pytest.param(lambda key: mint(key, exp=int(time.time()) - 3600), id="expired"),
        pytest.param(lambda key: mint(key, nbf=int(time.time()) + 3600), id="not-yet-valid"),
        pytest.param(lambda key: mint(key, aud="api://someone-else"), id="wrong-audience"),
        pytest.param(lambda key: mint(key, iss="https://evil.test/"), id="wrong-issuer"),
        pytest.param(
            lambda key: mint(key, iss=f"{AUTHORITY}/{OTHER_TENANT}/v2.0", tid=OTHER_TENANT), id="other-tenant"
        ),
        pytest.param(lambda key: mint(key, azp="unknown-app"), id="unmapped-app"),
        pytest.param(lambda key: mint(key, nbf=None), id="missing-nbf"),
    ],
)
def test_bad_tokens_are_refused_and_logged(
    connector_context, connector_client, idp, configured, signing_key, make_token
):
    refused_with_log(connector_context, connector_client, make_token(signing_key))


def test_token_for_an_inactive_user_is_refused(
    connector_context, connector_client, idp, configured, signing_key
):
    with transaction(connector_context.sessions) as session:
        user = service.get_user(session, REST_USER_APP)
        service.update_user(session, user, service.UserChanges(active=False))

    message = refused_with_log(connector_context, connector_client, mint(signing_key))

    assert "no active user" in message


def test_header_keys_are_never_trusted(connector_context, connector_client, idp, configured, signing_key):
    token = jwt.encode(
        claims(), signing_key, algorithm="RS256", headers={"kid": "key-1", "jku": "https://evil.test/keys"}
    )

    refused_with_log(connector_context, connector_client, token)


def test_a_flood_of_unknown_kids_fetches_the_jwks_once_per_cooldown(
    connector_context, connector_client, idp, configured
):
    attacker = new_key()
    for _ in range(25):
        assert call(connector_client, mint(attacker, kid=uuid.uuid4().hex)).status_code == 401

    assert idp.call_count == 1


def test_oversized_tokens_are_refused_before_any_fetch(
    connector_context, connector_client, idp, configured, signing_key
):
    token = mint(signing_key, padding="x" * 20_000)

    refused_with_log(connector_context, connector_client, token)
    assert idp.call_count == 0


def test_unreachable_provider_refuses_without_crashing(
    connector_context, connector_client, configured, signing_key
):
    with respx.mock() as mock:
        mock.get(METADATA).mock(side_effect=httpx.ConnectError("down"))
        refused_with_log(connector_context, connector_client, mint(signing_key))


def test_a_down_provider_is_not_asked_again_during_the_cooldown(
    connector_context, connector_client, configured, signing_key
):
    with respx.mock() as mock:
        metadata = mock.get(METADATA).respond(503)
        refused_with_log(connector_context, connector_client, mint(signing_key))
        second = refused_with_log(connector_context, connector_client, mint(signing_key, jti="2"))

    assert metadata.call_count == 1
    assert "failed recently" in second


def recalled_user(cache, digest):
    entry = cache.recall(digest)
    return entry.user_id if entry is not None else None


def test_the_validated_token_cache_drops_the_least_recently_used_and_expired():
    cache = OIDCCache(client=OIDCProviderClient(httpx.Client()), max_validated=2)
    later = time.time() + 3600
    cache.remember("a", "user-a", later, ("entity",))
    cache.remember("b", "user-b", later, ("entity",))
    assert recalled_user(cache, "a") == "user-a"  # now "b" is the least recently used
    cache.remember("c", "user-c", later, ("entity",))
    cache.remember("gone", "user-d", time.time() - 1, ("entity",))

    assert [recalled_user(cache, d) for d in ("a", "b", "c", "gone")] == [None, None, "user-c", None]
    assert len(cache.validated) <= 2


REST_API_APP_ID = "bbbbbbbb-1111-2222-3333-444444444444"


def entity_for(context, client_id):
    with transaction(context.sessions) as session:
        provider = oidc_config.create_provider(session, "Contoso Azure", METADATA)
        oidc_config.create_entity(session, "REST API", client_id, provider.id)
    make_user(context, REST_USER_APP, ["incident_manager"], web_service_access_only=True)


@pytest.mark.parametrize(
    ("entity_holds", "token_audience"),
    [
        pytest.param(REST_API_APP_ID, f"api://{REST_API_APP_ID}", id="entity-app-id-token-app-id-uri"),
        pytest.param(f"api://{REST_API_APP_ID}", REST_API_APP_ID, id="entity-app-id-uri-token-app-id"),
    ],
)
def test_the_app_id_and_its_app_id_uri_name_the_same_application(
    connector_context, connector_client, idp, signing_key, entity_holds, token_audience
):
    entity_for(connector_context, entity_holds)

    assert call(connector_client, mint(signing_key, aud=token_audience)).status_code == 200


@pytest.mark.parametrize(
    ("entity_holds", "token_audience"),
    [
        pytest.param(REST_API_APP_ID, f"api://{REST_API_APP_ID}/other", id="longer-uri"),
        pytest.param(REST_API_APP_ID, f"https://contoso.test/{REST_API_APP_ID}", id="other-scheme"),
        pytest.param(REST_API_APP_ID, f"API://{REST_API_APP_ID}", id="other-case-prefix"),
        pytest.param("api://rest-api-app", "rest-api-app", id="custom-uri-is-no-app-id"),
        pytest.param(REST_API_APP_ID, f"api://{REST_USER_APP}", id="another-app"),
    ],
)
def test_no_other_form_of_the_audience_is_accepted(
    connector_context, connector_client, idp, signing_key, entity_holds, token_audience
):
    entity_for(connector_context, entity_holds)

    refused_with_log(connector_context, connector_client, mint(signing_key, aud=token_audience))


def test_the_providers_metadata_and_keys_fetches_are_in_the_outbound_http_log(
    connector_context, connector_client, idp, configured, signing_key
):
    assert call(connector_client, mint(signing_key)).status_code == 200

    with transaction(connector_context.sessions) as session:
        fetched = [row.url for row in http_log.search(session, source="oidc")]

    assert sorted(fetched) == sorted([METADATA, JWKS])
