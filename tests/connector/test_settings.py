"""Settings that would silently weaken security are refused when they load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from m365bridge.connector.settings import ConnectorSettings


def test_a_bad_trusted_proxy_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(ValidationError, match=r"'10\.0\.0\.300' is not an IP address or CIDR"):
        ConnectorSettings(data_dir=tmp_path, trusted_proxies=["10.0.0.1", "10.0.0.300"])


def test_good_trusted_proxies_are_kept(tmp_path):
    settings = ConnectorSettings(data_dir=tmp_path, trusted_proxies=[" 10.0.0.0/8 ", "::1"])

    assert settings.trusted_proxies == ["10.0.0.0/8", "::1"]
