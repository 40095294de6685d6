"""A side's ``settings.env`` in its data folder: read below arguments and the environment, typos refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.settings import ConnectorSettings


def test_the_data_folders_settings_file_fills_what_arguments_and_environment_leave(tmp_path, monkeypatch):
    (tmp_path / "settings.env").write_text(
        "# a comment\nM365BRIDGE_CONNECTOR_CA_BUNDLE=/etc/ca.pem\nM365BRIDGE_CONNECTOR_PORT=9100\n"
        "M365BRIDGE_CONNECTOR_PUBLIC_URL=https://file.example\n"
    )
    monkeypatch.setenv("M365BRIDGE_CONNECTOR_PUBLIC_URL", "https://env.example")
    settings = ConnectorSettings(data_dir=tmp_path, port=9200)
    assert str(settings.ca_bundle) == "/etc/ca.pem"  # from the file
    assert settings.public_url == "https://env.example"  # the environment wins over the file
    assert settings.port == 9200  # and arguments over both


def test_the_file_is_looked_for_in_the_folder_the_environment_names(tmp_path, monkeypatch):
    (tmp_path / "settings.env").write_text("M365BRIDGE_CLOUD_PORT=9300\n")
    monkeypatch.setenv("M365BRIDGE_CLOUD_DATA_DIR", str(tmp_path))
    assert CloudSettings().port == 9300


def test_a_misspelt_setting_in_the_file_is_refused(tmp_path):
    (tmp_path / "settings.env").write_text("M365BRIDGE_CONNECTOR_CA_BUNDEL=/etc/ca.pem\n")
    with pytest.raises(ValidationError, match="ca_bundel"):
        ConnectorSettings(data_dir=tmp_path)


def test_no_file_means_the_defaults(tmp_path):
    assert ConnectorSettings(data_dir=tmp_path).ca_bundle is None
