"""Graph and the support search against forged and misdirected tokens: 401, and nothing of the token or key
in the answer. The identity service's own token endpoint against the wrong client's secret and other grants.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from m365bridge.cloud.identity import keys
from m365bridge.cloud.identity import repository as identity_repository
from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.shared.db import transaction
from tests.cloud.identity.conftest import make_directory
from tests.cloud.knowledge.test_search_api import configure_issuing_app

GRAPH_ISSUES = "/graph/v1.0/admin/serviceAnnouncement/issues"
SUPPORT_SEARCH = "/support/v1/solutions/search?q=outlook"
ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def contoso(cloud_context):
    directory = make_directory(cloud_context, "contoso.onmicrosoft.com")
    configure_issuing_app(cloud_context, directory)  # the support search accepts only that app's tokens
    return directory


def real_token(client, directory, resource: str) -> str:
    answer = client.post(
        f"/{directory.tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": directory.client.client_id,
            "client_secret": directory.client.secret,
            "resource": resource,
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def reclaimed(context, token: str, key=None, headers=None, **changes) -> str:
    """The real token's claims with ``changes``, signed by ``key`` (default: the cloud's own key)."""
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    with transaction(context.sessions) as session:
        signing = identity_repository.active_signing_key(session)
        kid, private = signing.kid, keys.private_key(signing, context.secrets)
    return jwt.encode(claims, key or private, algorithm="RS256", headers={"kid": kid, **(headers or {})})


def forgeries(context, token: str, other_resource_token: str) -> dict[str, str]:
    payload = token.split(".")[1]
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    now = int(time.time())
    return {
        "alg-none": f"{none_header}.{payload}.",
        "attacker-key": reclaimed(context, token, key=ATTACKER),
        "attacker-key-with-jku": reclaimed(
            context, token, key=ATTACKER, headers={"jku": "https://evil.test/k"}
        ),
        "expired": reclaimed(context, token, exp=now - 3600, nbf=now - 7200, iat=now - 7200),
        "not-yet-valid": reclaimed(context, token, nbf=now + 3600),
        "wrong-issuer": reclaimed(context, token, iss="https://evil.test/"),
        "unknown-tenant": reclaimed(context, token, tid="00000000-0000-0000-0000-000000000000"),
        "version-swapped": reclaimed(context, token, ver="2.0"),
        "no-ver": reclaimed(context, token, ver=None),
        "other-resource": other_resource_token,
        "truncated": token[:-12],
        "huge": f"{b64(json.dumps({'alg': 'RS256', 'kid': 'x' * 1_000_000}).encode())}.{payload}.c2ln",
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize(
    ("path", "resource", "other"),
    [
        (GRAPH_ISSUES, GRAPH_RESOURCE, SUPPORT_RESOURCE),
        (SUPPORT_SEARCH, SUPPORT_RESOURCE, GRAPH_RESOURCE),
    ],
    ids=["graph", "support-search"],
)
def test_forged_tokens_are_refused_without_leaking(
    cloud_context, cloud_client, contoso, path, resource, other, record_property
):
    token = real_token(cloud_client, contoso, resource)
    assert cloud_client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    cases = forgeries(cloud_context, token, real_token(cloud_client, contoso, other))
    for name, forged in cases.items():
        started = time.perf_counter()
        response = cloud_client.get(path, headers={"Authorization": f"Bearer {forged}"})
        record_property("tally:tokens_tried", 1)
        assert response.status_code == 401, (name, response.text)
        assert time.perf_counter() - started < 2.0, name
        assert forged[-30:] not in response.text and "PRIVATE" not in response.text, name
        record_property("tally:tokens_refused", 1)
