"""Token signing keys: RSA keys with self-signed certificates, rotated with a grace period.

The private key is stored encrypted with the cloud's secret box. ``kid`` and ``x5t`` are the certificate's
SHA-1 thumbprint, as Entra publishes them.
"""

from __future__ import annotations

import base64
import datetime as dt
import weakref
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from m365bridge.cloud.identity import repository
from m365bridge.cloud.identity.models import SigningKey
from m365bridge.shared.orm import utcnow
from m365bridge.shared.secretbox import SecretBox

CERTIFICATE_SUBJECT = "accounts.m365bridge.local"
CERTIFICATE_YEARS = 5

# Parsing a PEM RSA key includes its consistency check (tens of milliseconds), and every issued token needs
# the active key. Each secret box keeps the keys it has decrypted, so another context (with other keys) still
# has to decrypt for itself.
_parsed_keys: weakref.WeakKeyDictionary[SecretBox, dict[tuple[str, str], rsa.RSAPrivateKey]] = (
    weakref.WeakKeyDictionary()
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def new_signing_key(session: Session, secrets: SecretBox) -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CERTIFICATE_SUBJECT)])
    now = utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CERTIFICATE_YEARS))
        .sign(private_key, hashes.SHA256())
    )
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key = SigningKey(
        kid=thumbprint(certificate),
        private_key_encrypted=secrets.encrypt(pem),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        created_at=now,
    )
    session.add(key)
    session.flush()
    return key


def thumbprint(certificate: x509.Certificate) -> str:
    return _b64url(certificate.fingerprint(hashes.SHA1()))  # noqa: S303 - x5t is defined as SHA-1


def ensure_active_key(session: Session, secrets: SecretBox) -> SigningKey:
    return repository.active_signing_key(session) or new_signing_key(session, secrets)


def rotate(session: Session, secrets: SecretBox) -> SigningKey:
    """Retire the current key (still published for the grace period) and make a new active one."""
    repository.retire_signing_keys(session, utcnow())
    return new_signing_key(session, secrets)


def published_keys(session: Session, grace: dt.timedelta) -> Sequence[SigningKey]:
    return repository.published_signing_keys(session, utcnow() - grace)


def private_key(key: SigningKey, secrets: SecretBox) -> rsa.RSAPrivateKey:
    parsed = _parsed_keys.setdefault(secrets, {})
    cache_key = (key.kid, key.private_key_encrypted)
    found = parsed.get(cache_key)
    if found is None:
        loaded = serialization.load_pem_private_key(
            secrets.decrypt(key.private_key_encrypted).encode(), password=None
        )
        assert isinstance(loaded, rsa.RSAPrivateKey)
        found = parsed[cache_key] = loaded
    return found


def public_key(key: SigningKey) -> rsa.RSAPublicKey:
    loaded = x509.load_pem_x509_certificate(key.certificate_pem.encode()).public_key()
    assert isinstance(loaded, rsa.RSAPublicKey)
    return loaded


def jwk(key: SigningKey, issuer: str | None = None) -> dict[str, Any]:
    """The key as Entra's JWKS lists it (``issuer`` appears in the v2 key set only)."""
    certificate = x509.load_pem_x509_certificate(key.certificate_pem.encode())
    numbers = public_key(key).public_numbers()
    entry: dict[str, Any] = {
        "kty": "RSA",
        "use": "sig",
        "kid": key.kid,
        "x5t": key.kid,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
        "x5c": [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()],
    }
    if issuer:
        entry["issuer"] = issuer
    return entry
