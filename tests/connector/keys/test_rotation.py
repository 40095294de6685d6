from __future__ import annotations

import pytest
from sqlalchemy import text

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.keys.rotation import rotate_key
from m365bridge.connector.registry import service
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.secretbox import SecretBox, SecretBoxError


def _raw_secrets(context: ConnectorContext) -> list[str]:
    with context.engine.connect() as conn:
        return list(conn.execute(text("SELECT client_secret FROM oauth_entity ORDER BY name")).scalars())


def test_rotation_re_encrypts_everything_and_drops_the_old_key(connector_context: ConnectorContext) -> None:
    with transaction(connector_context.sessions) as session:
        for n in range(3):
            service.create_entity(
                session,
                connector_context.secrets,
                name=f"App {n}",
                client_id=f"client-{n}",
                client_secret=f"secret-{n}",
                token_url="https://login.example.test/t/oauth2/token",
            )
    old_keys = connector_context.secrets.keys
    before = _raw_secrets(connector_context)

    report = rotate_key(connector_context)

    key_file = connector_context.settings.key_file
    written = key_file.read_text().split()
    assert report.values == 3
    assert len(written) == 1 and written[0] not in old_keys
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    after = _raw_secrets(connector_context)
    assert all(a != b for a, b in zip(after, before, strict=True))
    with pytest.raises(SecretBoxError):
        SecretBox(old_keys).decrypt(after[0])
    reopened = SecretBox.from_key_file(key_file)
    assert [reopened.decrypt(value) for value in after] == ["secret-0", "secret-1", "secret-2"]


def test_rotation_refuses_keys_from_settings(tmp_path) -> None:
    settings = ConnectorSettings(
        data_dir=tmp_path, encryption_keys=[SecretBox.from_key_file(tmp_path / "k").keys[0]]
    )
    context = ConnectorContext.build(settings)
    try:
        with pytest.raises(UserError, match="ENCRYPTION_KEYS"):
            rotate_key(context)
    finally:
        context.close()
