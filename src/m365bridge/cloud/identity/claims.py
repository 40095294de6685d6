"""Issuers and the claims of application access tokens, v1.0 and v2.0, as Entra ID writes them."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from m365bridge.cloud.identity import keys
from m365bridge.cloud.identity.models import AppRegistration, SigningKey
from m365bridge.cloud.identity.resources import Resource
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.secretbox import SecretBox

# Entra backdates iat/nbf by five minutes to absorb clock skew between its servers and the resource's.
BACKDATE = dt.timedelta(minutes=5)
# Entra randomises the default access-token lifetime between 60 and 90 minutes.
LIFETIME_SECONDS = (60 * 60, 90 * 60)
# appidacr/azpacr: how the client authenticated; "1" is a client secret.
CLIENT_SECRET_AUTH = "1"  # noqa: S105 - a claim value, not a secret


def issuer(settings: CloudSettings, version: str, tenant_id: str) -> str:
    template = settings.identity_v2_issuer if version == "2.0" else settings.identity_v1_issuer
    return template.format(tid=tenant_id, base_url=settings.base_url)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    version: str
    audience: str
    expires_in: int
    expires_on: int
    not_before: int


def issue(
    settings: CloudSettings,
    secrets: SecretBox,
    signing_key: SigningKey,
    *,
    client: AppRegistration,
    resource: Resource,
    requested: str,
    roles: set[str],
) -> IssuedToken:
    """Sign an access token for ``client`` to call ``resource``, in the version the resource accepts."""
    version = "2.0" if resource.accepted_version == 2 else "1.0"
    audience = resource.audience(requested, 2 if version == "2.0" else 1)
    now = dt.datetime.now(dt.UTC)
    lifetime = random.randint(*LIFETIME_SECONDS)
    not_before = int((now - BACKDATE).timestamp())
    expires_on = int(now.timestamp()) + lifetime
    token_issuer = issuer(settings, version, client.tenant_id)
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": token_issuer,
        "iat": not_before,
        "nbf": not_before,
        "exp": expires_on,
        "oid": client.service_principal_id,
        "sub": client.service_principal_id,
        "tid": client.tenant_id,
        "uti": uuid.uuid4().hex[:22],
        "ver": version,
    }
    if version == "1.0":
        claims |= {"appid": client.client_id, "appidacr": CLIENT_SECRET_AUTH, "idp": token_issuer}
    else:
        claims |= {"azp": client.client_id, "azpacr": CLIENT_SECRET_AUTH}
    if roles:
        claims["roles"] = sorted(roles)
    headers = {"kid": signing_key.kid, "typ": "JWT"}
    if version == "1.0":
        headers["x5t"] = signing_key.kid
    token = jwt.encode(claims, keys.private_key(signing_key, secrets), algorithm="RS256", headers=headers)
    return IssuedToken(token, version, audience, lifetime, expires_on, not_before)
