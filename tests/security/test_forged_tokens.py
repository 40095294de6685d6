"""The connector's OIDC door against forged, misdirected and stale tokens, with the cloud identity as issuer.

Every refusal is a 401 with one fixed body (nothing about why), plus a system-log line that says why and
never holds the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.connector.logs import system_log
from m365bridge.connector.logs.models import SystemLogLine
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API
from tests.security.world import World, identity_world

REFUSAL_BODY = {
    "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
    "status": "failure",
}
ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def world(tmp_path_factory, tls):
    with identity_world(tmp_path_factory.mktemp("world"), tls) as built:
        yield built


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def v1_claims(world: World, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "aud": world.rest_api_uri,
        "iss": f"https://sts.windows.net/{world.tenant_id}/",
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "appid": world.rest_user.client_id,
        "tid": world.tenant_id,
        "ver": "1.0",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def with_real_key(world: World, headers: dict[str, Any] | None = None, **claims: Any) -> str:
    kid, key = world.signing_key()
    return jwt.encode(
        v1_claims(world, **claims), key, algorithm="RS256", headers={"kid": kid, **(headers or {})}
    )


def with_attacker_key(world: World, kid: str | None = None, headers: dict[str, Any] | None = None) -> str:
    real_kid, _ = world.signing_key()
    header = {"kid": kid if kid is not None else real_kid, **(headers or {})}
    return jwt.encode(v1_claims(world), ATTACKER, algorithm="RS256", headers=header)


def unsigned(world: World) -> str:
    kid, _ = world.signing_key()
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64(json.dumps(v1_claims(world)).encode())}."


def hs256_with_the_public_key(world: World) -> str:
    kid, key = world.signing_key()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    signing_input = f"{header}.{b64(json.dumps(v1_claims(world)).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def hand_signed(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """RS256 by hand, for headers PyJWT refuses to write."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = ATTACKER.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def attacker_jwk() -> dict[str, Any]:
    return json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER.public_key()))


def log_lines(world: World) -> list[SystemLogLine]:
    with transaction(world.connector.sessions) as session:
        return list(system_log.search(session, source=system_log.APP_SOURCE))


def assert_refused(world: World, token: str, record_property: Callable[[str, int], None]) -> str:
    """401 with the fixed body, and one new log line naming the reason but never the token."""
    before = {line.id for line in log_lines(world)}
    response = world.client.get(f"{API}/whoami", headers={"Authorization": f"Bearer {token}"})
    record_property("tally:tokens_tried", 1)
    assert response.status_code == 401, response.text
    assert response.json() == REFUSAL_BODY
    new = [line for line in log_lines(world) if line.id not in before]
    assert len(new) == 1
    assert new[0].message.startswith("Inbound request refused: bearer token")
    assert token[-40:] not in new[0].message + json.dumps(new[0].context)
    record_property("tally:tokens_refused", 1)
    return new[0].message


def test_the_real_token_is_accepted(world):
    response = world.client.get(
        f"{API}/whoami", headers={"Authorization": f"Bearer {world.token(world.rest_user)}"}
    )

    assert response.status_code == 200
    assert response.json()["result"]["method"] == "oidc"


FORGERIES: dict[str, Callable[[World], str]] = {
    "alg-none": unsigned,
    "hs256-signed-with-the-public-key": hs256_with_the_public_key,
    "key-not-in-the-jwks-with-a-real-kid": lambda w: with_attacker_key(w),
    "key-not-in-the-jwks-with-its-own-kid": lambda w: with_attacker_key(w, kid="attacker-key"),
    "kid-path-traversal": lambda w: with_attacker_key(w, kid="../../etc/passwd"),
    "kid-as-file-url": lambda w: with_attacker_key(w, kid="file:///etc/passwd"),
    "kid-as-https-url": lambda w: with_attacker_key(w, kid=f"{w.cloud_url}/attacker/keys"),
    "kid-not-a-string": lambda w: hand_signed({"alg": "RS256", "kid": {"$ne": ""}}, v1_claims(w)),
    "jku-elsewhere": lambda w: with_attacker_key(w, headers={"jku": f"{w.cloud_url}/attacker/jwks"}),
    "x5u-elsewhere": lambda w: with_attacker_key(w, headers={"x5u": f"{w.cloud_url}/attacker/cert.pem"}),
    "embedded-jwk": lambda w: with_attacker_key(w, headers={"jwk": attacker_jwk()}),
    "crit-with-the-real-key": lambda w: with_real_key(w, headers={"crit": ["exp"]}),
    "expired": lambda w: with_real_key(w, exp=int(time.time()) - 3600),
    "not-yet-valid": lambda w: with_real_key(w, nbf=int(time.time()) + 3600),
    "no-exp": lambda w: with_real_key(w, exp=None),
    "no-issuer": lambda w: with_real_key(w, iss=None),
    "wrong-audience": lambda w: with_real_key(w, aud="api://someone-else"),
    "wrong-issuer": lambda w: with_real_key(w, iss="https://evil.test/"),
    "v2-claims-under-the-v1-issuer": lambda w: with_real_key(
        w, ver="2.0", appid=None, azp=w.rest_user.client_id
    ),
    "v1-claims-under-the-v2-issuer": lambda w: with_real_key(w, iss=f"{w.cloud_url}/{w.tenant_id}/v2.0"),
    "graph-token-for-the-connector": lambda w: w.token(w.rest_user, resource=GRAPH_RESOURCE),
    "support-token-for-the-connector": lambda w: w.token(w.rest_user, resource=SUPPORT_RESOURCE),
    "v2-token-to-a-v1-only-provider": lambda w: w.token(w.rest_user, resource=w.modern_api_id),
    "other-tenants-app": lambda w: w.token(w.other_tenant_app, tenant_id=w.other_tenant_id),
    "other-tenant-claims-with-the-real-key": lambda w: with_real_key(
        w, iss=f"https://sts.windows.net/{w.other_tenant_id}/", tid=w.other_tenant_id
    ),
    "app-mapped-to-no-user": lambda w: w.token(w.unmapped_app),
    "app-mapped-to-an-inactive-user": lambda w: w.token(w.inactive_app),
    "tampered-payload": lambda w: _tampered(w.token(w.rest_user)),
    "truncated-signature": lambda w: w.token(w.rest_user)[:-10],
    "two-dots-garbage": lambda w: "eyJhbGciOiJSUzI1NiJ9.not-base64!.x",
}


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["admin"]
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_token_is_refused_with_a_log_line_and_no_leak(world, forge, record_property):
    assert_refused(world, forge(world), record_property)


def test_header_urls_are_never_fetched(world, record_property):
    for name in ("jku-elsewhere", "x5u-elsewhere", "kid-as-https-url"):
        assert_refused(world, FORGERIES[name](world), record_property)

    assert not [path for path in world.recorder.paths if path.startswith("/attacker")]


def test_a_one_megabyte_token_is_refused_quickly_without_a_fetch(world, record_property):
    header = b64(json.dumps({"alg": "RS256", "kid": "x" * 1_000_000}).encode())
    token = f"{header}.{b64(json.dumps(v1_claims(world)).encode())}.c2ln"
    fetched = len(world.recorder.paths)

    started = time.perf_counter()
    message = assert_refused(world, token, record_property)

    assert time.perf_counter() - started < 2.0
    assert "too large" in message
    assert len(world.recorder.paths) == fetched


def test_a_token_of_a_rotated_out_key_is_refused_once_the_cached_keys_are_stale(
    tmp_path, tls, record_property
):
    with identity_world(tmp_path, tls, key_grace_hours=0, jwks_max_age_seconds=0) as world:
        old_token = world.token(world.rest_user)
        assert (
            world.client.get(f"{API}/whoami", headers={"Authorization": f"Bearer {old_token}"}).status_code
            == 200
        )
        world.rotate_keys()

        assert (
            world.client.get(
                f"{API}/whoami", headers={"Authorization": f"Bearer {world.token(world.rest_user)}"}
            ).status_code
            == 200
        )
        assert_refused(world, old_token, record_property)
