"""Hashing of what the sides check: people's passwords with argon2id, generated client secrets with SHA-256.

A password is chosen by a person and may be guessable, so it gets a slow, memory-hard hash. A client secret
is 190+ random bits we generate ourselves: no guessing attack gets near it, so a slow hash adds nothing but
~0.15 s of CPU to every token request; it is stored as a SHA-256 digest, like an opaque token.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from m365bridge.shared.tokens import same_digest, token_digest

_hasher = PasswordHasher()
_ARGON2_PREFIX = "$argon2"


def hash_password(plain: str) -> str:
    return _hasher.hash(plain)


def verify_password(stored_hash: str, plain: str) -> bool:
    try:
        return _hasher.verify(stored_hash, plain)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def hash_generated_secret(plain: str) -> str:
    """The stored form of a client secret this system generated (never of a secret a person chose)."""
    return token_digest(plain)


def verify_generated_secret(stored_hash: str, plain: str) -> bool:
    """Constant-time check of a client secret; secrets stored before digests were used are argon2 hashes."""
    if stored_hash.startswith(_ARGON2_PREFIX):
        return verify_password(stored_hash, plain)
    return same_digest(plain, stored_hash)
