"""Opaque tokens: generated with the OS CSPRNG and stored only as a SHA-256 digest.

Opaque bearer tokens are high-entropy, so a fast digest is enough (argon2 is for low-entropy passwords) and
keeps every authenticated request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(token: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(token), digest)
