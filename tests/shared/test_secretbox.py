import stat

import pytest

from m365bridge.shared.secretbox import SecretBox, SecretBoxError, load_or_create_keys, new_key


def test_key_file_is_created_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "secret.key"
    first = load_or_create_keys(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_keys(path) == first


def test_round_trip_and_ciphertext_hides_the_secret():
    box = SecretBox([new_key()])
    token = box.encrypt("s3cr3t-value")
    assert "s3cr3t-value" not in token
    assert box.decrypt(token) == "s3cr3t-value"


def test_rotation_re_encrypts_under_the_new_key_and_old_key_can_be_dropped():
    old = new_key()
    token = SecretBox([old]).encrypt("value")
    fresh = new_key()
    rotated = SecretBox([fresh, old]).rotate(token)
    assert SecretBox([fresh]).decrypt(rotated) == "value"
    with pytest.raises(SecretBoxError):
        SecretBox([fresh]).decrypt(token)
