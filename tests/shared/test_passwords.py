"""What the sides store for what they check: argon2id for passwords, a digest for generated secrets."""

from __future__ import annotations

from m365bridge.shared.passwords import (
    hash_generated_secret,
    hash_password,
    verify_generated_secret,
    verify_password,
)
from m365bridge.shared.tokens import new_token


def test_a_generated_secret_is_stored_as_a_digest_never_in_plain() -> None:
    secret = new_token(24)
    stored = hash_generated_secret(secret)
    assert secret not in stored
    assert len(stored) == 64 and int(stored, 16) >= 0  # SHA-256, hex


def test_a_generated_secret_verifies_only_with_itself() -> None:
    secret = new_token(24)
    stored = hash_generated_secret(secret)
    assert verify_generated_secret(stored, secret)
    assert not verify_generated_secret(stored, secret[:-1])
    assert not verify_generated_secret(stored, new_token(24))
    assert not verify_generated_secret(stored, "")


def test_a_secret_stored_as_argon2_before_digests_still_verifies() -> None:
    secret = new_token(24)
    stored = hash_password(secret)
    assert verify_generated_secret(stored, secret)
    assert not verify_generated_secret(stored, "wrong")


def test_passwords_stay_argon2id() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapler")
