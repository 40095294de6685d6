"""Storing the instance connection: secrets encrypted, bad input refused with nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from m365bridge.connector.keys.rotation import rotate_key
from m365bridge.connector.servicenow import service
from m365bridge.connector.servicenow.auth import AuthType
from m365bridge.connector.servicenow.models import InstanceConnection
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.secretbox import SecretBox, SecretBoxError

URL = "https://dev12345.service-now.com"


def configure(context, **fields) -> InstanceConnection:
    wanted = service.ConnectionSettings(**{"url": URL, "auth_type": AuthType.PASSWORD, **fields})
    with transaction(context.sessions, write=True) as session:
        return service.configure(session, context.secrets, wanted, allow_loopback_http=False)


def stored(context) -> list[InstanceConnection]:
    with transaction(context.sessions) as session:
        return list(session.scalars(select(InstanceConnection)))


def test_secrets_are_stored_encrypted(connector_context):
    configure(
        connector_context,
        user_name="svc",
        password="pw-Plain-Text",
        client_id="cid",
        client_secret="cs-Plain",
    )

    [row] = stored(connector_context)
    assert "pw-Plain-Text" not in (row.password or "") and "cs-Plain" not in (row.client_secret or "")
    creds = service.credentials(row, connector_context.secrets)
    assert (creds.password, creds.client_secret) == ("pw-Plain-Text", "cs-Plain")
    assert "pw-Plain-Text" not in repr(creds) and "cs-Plain" not in repr(creds)


def test_every_missing_piece_is_named_and_nothing_is_stored(connector_context):
    with pytest.raises(UserError) as raised:
        configure(connector_context, user_name="", client_id="")

    assert "--user-name" in str(raised.value) and "--client-id" in str(raised.value)
    assert "a password" in str(raised.value) and "a client secret" in str(raised.value)
    assert stored(connector_context) == []


def test_plain_http_is_refused_with_nothing_stored(connector_context):
    with pytest.raises(UserError, match="https"):
        configure(
            connector_context,
            url="http://dev12345.service-now.com",
            user_name="svc",
            password="p",
            client_id="c",
            client_secret="s",
        )

    assert stored(connector_context) == []


def test_changing_the_url_keeps_the_secrets_and_drops_the_tokens(connector_context):
    configure(connector_context, user_name="svc", password="pw-1", client_id="cid", client_secret="cs-1")
    with transaction(connector_context.sessions, write=True) as session:
        service.get_connection(session).refresh_token = connector_context.secrets.encrypt("old-refresh")

    configure(connector_context, url="https://prod.service-now.com/", user_name="svc", client_id="cid")

    [row] = stored(connector_context)
    creds = service.credentials(row, connector_context.secrets)
    assert row.url == "https://prod.service-now.com" and (creds.password, creds.client_secret) == (
        "pw-1",
        "cs-1",
    )
    assert row.refresh_token is None


def test_basic_keeps_no_client_secret(connector_context):
    configure(connector_context, user_name="svc", password="pw-1", client_id="cid", client_secret="cs-1")

    configure(connector_context, auth_type=AuthType.BASIC, user_name="svc", client_id="ignored")

    [row] = stored(connector_context)
    assert row.client_secret is None and row.client_id == "" and row.auth_type == "basic"


def test_key_rotation_re_encrypts_the_instance_secrets(connector_context):
    configure(connector_context, user_name="svc", password="pw-1", client_id="cid", client_secret="cs-1")
    old = SecretBox(connector_context.secrets.keys)
    [before] = stored(connector_context)

    report = rotate_key(connector_context)

    [after] = stored(connector_context)
    assert report.values == 2 and after.password != before.password
    assert service.credentials(after, connector_context.secrets).password == "pw-1"
    with pytest.raises(SecretBoxError):
        old.decrypt(after.password or "")
