"""The "no such user" path verifies against a stored dummy; it must cost what a real verification costs."""

from __future__ import annotations

from m365bridge.connector.users.service import _STORED_DUMMY_HASH
from m365bridge.shared.passwords import needs_rehash


def test_the_stored_timing_dummy_has_the_hashers_current_parameters():
    assert not needs_rehash(_STORED_DUMMY_HASH)
